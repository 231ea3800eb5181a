/**
 * Telemetry the Azure way: OpenTelemetry spans and metrics through `@opentelemetry/api`, exported
 * to Application Insights by `@azure/monitor-opentelemetry` (or to the console locally, or to
 * in-memory exporters in tests; see ./startTelemetry.ts). With nothing configured every helper
 * here is one boolean check: the warm path pays nothing for telemetry that is off.
 *
 * Spans: `certgate.intake`, `certgate.validate`, `certgate.decide`, `certgate.proxy`, with
 * structured attributes (`certgate.app`, `certgate.effect`, `certgate.reason`, `certgate.policy`,
 * `certgate.correlation_id`) instead of JSON strings.
 * Metrics: `certgate.decisions` (counter by effect, reason, app), `certgate.decision.duration`
 * (histogram, ms), and observed gauges registered by the composition root: directory cache hits /
 * misses / stale / unavailable, Graph calls and throttles, alert outbox backlog, decision-log drops.
 * The decision log never depends on telemetry or its sampling (it has its own table).
 * May import: @opentelemetry/api.
 */
import {
  SpanStatusCode,
  context,
  metrics,
  trace,
  type Attributes,
  type Counter,
  type Histogram,
  type Span,
} from '@opentelemetry/api';

/** The instrumentation scope of every certgate span and metric. */
export const TELEMETRY_SCOPE = 'certgate';

interface Instruments {
  readonly decisions: Counter;
  readonly duration: Histogram;
}

let instruments: Instruments | undefined;

/** Whether a telemetry pipeline is installed (startTelemetry). */
export function telemetryOn(): boolean {
  return instruments !== undefined;
}

/** Called once a tracer and meter provider are registered globally; creates the instruments. */
export function telemetryInstalled(): void {
  const meter = metrics.getMeter(TELEMETRY_SCOPE);
  instruments = {
    decisions: meter.createCounter('certgate.decisions', {
      description: 'Access decisions, by effect, reason and app',
    }),
    duration: meter.createHistogram('certgate.decision.duration', {
      description: 'Time to decide one access attempt',
      unit: 'ms',
    }),
  };
}

/** Called when the pipeline is shut down (tests). */
export function telemetryRemoved(): void {
  instruments = undefined;
}

/** Runs `work` in a span named `name` (a child of the active span) when telemetry is on; else just runs it. */
export async function traced<T>(
  name: string,
  attributes: Attributes,
  work: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!instruments) return work(undefined);
  const tracer = trace.getTracer(TELEMETRY_SCOPE);
  const span = tracer.startSpan(name, { attributes });
  try {
    return await context.with(trace.setSpan(context.active(), span), () => work(span));
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/** The synchronous twin of {@link traced} (intake). */
export function tracedSync<T>(name: string, attributes: Attributes, work: (span: Span | undefined) => T): T {
  if (!instruments) return work(undefined);
  const span = trace.getTracer(TELEMETRY_SCOPE).startSpan(name, { attributes });
  try {
    return context.with(trace.setSpan(context.active(), span), () => work(span));
  } finally {
    span.end();
  }
}

/** What a decision metric is labelled with (low cardinality: no user, no correlation id). */
export interface DecisionLabels {
  readonly effect: string;
  readonly reason: string;
  readonly app: string;
}

/** Counts one decision and its duration. */
export function recordDecision(labels: DecisionLabels, durationMs: number): void {
  if (!instruments) return;
  const attributes = { 'certgate.effect': labels.effect, 'certgate.reason': labels.reason, 'certgate.app': labels.app };
  instruments.decisions.add(1, attributes);
  instruments.duration.record(durationMs, attributes);
}

/** A gauge read when metrics are collected: name, description, and the current value(s). */
export interface ObservedGauge {
  readonly name: string;
  readonly description: string;
  read(): number | readonly { readonly value: number; readonly attributes: Attributes }[];
}

/** Registers gauges read at each collection (after telemetry is installed; no-op otherwise). */
export function observeGauges(gauges: readonly ObservedGauge[]): void {
  if (!instruments) return;
  const meter = metrics.getMeter(TELEMETRY_SCOPE);
  for (const gauge of gauges) {
    meter.createObservableGauge(gauge.name, { description: gauge.description }).addCallback((result) => {
      const value = gauge.read();
      if (typeof value === 'number') result.observe(value);
      else for (const point of value) result.observe(point.value, point.attributes);
    });
  }
}
