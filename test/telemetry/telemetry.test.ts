/**
 * Telemetry: with in-memory exporters installed, a request through the TLS gateway produces the
 * intake, decide and validate spans (validate nested in decide, structured attributes), the
 * decision counter and duration histogram, the directory gauges, the alert outbox backlog and the decision
 * log's drops; with telemetry off the helpers
 * only run the work; the settings refuse a bad mode and azure-monitor without a connection string.
 */
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';
import { gatewayRequest } from '../../dev/tour.js';
import { getServices } from '../../shared/composition.js';
import { loadConfig } from '../../shared/config.js';
import { serviceGauges } from '../../shared/telemetry/serviceGauges.js';
import { installTelemetry, type TelemetryPipeline } from '../../shared/telemetry/startTelemetry.js';
import { observeGauges, recordDecision, telemetryOn, traced } from '../../shared/telemetry/telemetry.js';

class CollectOnDemand extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

function metricNamed(metrics: ResourceMetrics, name: string) {
  return metrics.scopeMetrics.flatMap((scope) => scope.metrics).find((metric) => metric.descriptor.name === name);
}

describe('telemetry off', () => {
  it('runs the work and records nothing', async () => {
    expect(telemetryOn()).toBe(false);
    expect(await traced('x', {}, (span) => Promise.resolve(span))).toBeUndefined();
    expect(() => {
      recordDecision({ effect: 'allow', reason: 'r', app: 'a' }, 1);
    }).not.toThrow();
  });

  it('the settings name a bad mode, and azure-monitor needs its connection string', () => {
    const base = {
      CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
      CERTGATE_GATEWAY_SECRETS: 'a-gateway-secret-of-32-characters-at-least',
    };
    expect(() => loadConfig({ ...base, CERTGATE_TELEMETRY: 'loud' })).toThrow(/CERTGATE_TELEMETRY/);
    expect(() => loadConfig({ ...base, CERTGATE_TELEMETRY: 'azure-monitor' })).toThrow(/APPLICATIONINSIGHTS/);
    expect(loadConfig(base).telemetry).toEqual({ mode: 'off' });
    expect(loadConfig({ ...base, APPLICATIONINSIGHTS_CONNECTION_STRING: 'InstrumentationKey=x' }).telemetry.mode).toBe(
      'azure-monitor',
    );
  });
});

describe('telemetry on (in-memory exporters), through the gateway', () => {
  const spans = new InMemorySpanExporter();
  const reader = new CollectOnDemand();
  let pipeline: TelemetryPipeline;
  let stack: Stack;

  beforeAll(async () => {
    pipeline = await installTelemetry(spans, reader);
    stack = await startEphemeralStack('telemetry');
    observeGauges(serviceGauges(getServices()));
  }, 120_000);
  afterAll(async () => {
    await stack.close();
    await pipeline.shutdown();
  });

  it('a decision gives intake, decide and validate spans with structured attributes, and its metrics', async () => {
    spans.reset();
    const device = stack.pki.users.device!;
    const result = await gatewayRequest(
      stack,
      '/api/authorize',
      { certPath: device.certPath, keyPath: device.keyPath },
      {
        accept: 'application/json',
      },
    );
    expect(result.status).toBe(200);
    const correlationId = (result.body as { correlationId: string }).correlationId;
    const finished = spans.getFinishedSpans();
    const decide = finished.find(
      (span) => span.name === 'certgate.decide' && span.attributes['certgate.correlation_id'] === correlationId,
    );
    expect(decide, finished.map((s) => s.name).join()).toBeDefined();
    expect(decide!.attributes).toMatchObject({ 'certgate.effect': 'allow' });
    expect(typeof decide!.attributes['certgate.reason']).toBe('string');
    const validate = finished.find(
      (span) => span.name === 'certgate.validate' && span.parentSpanContext?.spanId === decide!.spanContext().spanId,
    );
    expect(validate).toBeDefined();
    expect(
      finished.some(
        (span) => span.name === 'certgate.intake' && span.attributes['certgate.correlation_id'] === correlationId,
      ),
    ).toBe(true);

    const { resourceMetrics } = await reader.collect();
    const decisions = metricNamed(resourceMetrics, 'certgate.decisions');
    expect(decisions).toBeDefined();
    const allowed = decisions!.dataPoints.find((point) => point.attributes['certgate.effect'] === 'allow');
    expect(allowed?.value).toBeGreaterThanOrEqual(1);
    expect(metricNamed(resourceMetrics, 'certgate.decision.duration')).toBeDefined();
    expect(metricNamed(resourceMetrics, 'certgate.directory.hit_ratio')).toBeDefined();
    expect(metricNamed(resourceMetrics, 'certgate.graph.calls')).toBeDefined();
  });

  it('the alert outbox backlog and the decision log drops are gauges', async () => {
    // The queues' counts are read in the background and show from the collection after it (bounded poll).
    let backlog: ReturnType<typeof metricNamed>;
    for (let attempt = 0; attempt < 50; attempt++) {
      const { resourceMetrics } = await reader.collect();
      backlog = metricNamed(resourceMetrics, 'certgate.alerts.backlog');
      if (backlog?.dataPoints.some((point) => point.attributes['certgate.where'] === 'queue')) {
        expect(metricNamed(resourceMetrics, 'certgate.alerts.dropped')?.dataPoints[0]?.value).toBe(0);
        const dropped = metricNamed(resourceMetrics, 'certgate.decision_log.dropped');
        expect(dropped?.dataPoints.map((point) => [point.attributes['certgate.reason'], point.value])).toEqual([
          ['buffer-full', 0],
          ['write-failed', 0],
        ]);
        expect(metricNamed(resourceMetrics, 'certgate.decision_log.buffered')).toBeDefined();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(new Set(backlog?.dataPoints.map((point) => point.attributes['certgate.where']))).toEqual(
      new Set(['buffer', 'queue', 'poison']),
    );
    expect(backlog?.dataPoints.every((point) => typeof point.value === 'number' && point.value >= 0)).toBe(true);
  });
});
