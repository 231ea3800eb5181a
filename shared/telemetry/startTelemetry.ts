/**
 * Installs the telemetry pipeline once, at start-up (the `appStart` hook), from the settings:
 *   CERTGATE_TELEMETRY=azure-monitor  (the default when APPLICATIONINSIGHTS_CONNECTION_STRING is
 *       set): `@azure/monitor-opentelemetry`'s `useAzureMonitor`, loaded only then (it is large:
 *       a worker without it never imports it, so the cold start does not pay for it);
 *   CERTGATE_TELEMETRY=console: spans and metrics printed by the OpenTelemetry console exporters
 *       (local development);
 *   CERTGATE_TELEMETRY=off (the default otherwise): nothing; every helper is a boolean check.
 * Tests pass their own exporter and reader ({@link installTelemetry}).
 * May import: @opentelemetry/*, @azure/monitor-opentelemetry (dynamically), ./telemetry.js, ../config.js (types).
 */
import { context, metrics, trace } from '@opentelemetry/api';
import type { AppConfig } from '../config.js';
import { telemetryInstalled, telemetryOn, telemetryRemoved } from './telemetry.js';

/** Where telemetry goes (the setting, read by config). */
export type TelemetryMode = AppConfig['telemetry']['mode'];

/** Handles to shut the pipeline down (flushes what is buffered). */
export interface TelemetryPipeline {
  readonly mode: TelemetryMode | 'custom';
  shutdown(): Promise<void>;
}

/** Starts the pipeline the settings ask for; undefined when telemetry is off or already on. */
export async function startTelemetry(settings: AppConfig['telemetry']): Promise<TelemetryPipeline | undefined> {
  const { mode, connectionString } = settings;
  if (mode === 'off' || telemetryOn()) return undefined;
  if (mode === 'azure-monitor') {
    const { useAzureMonitor, shutdownAzureMonitor } = await import('@azure/monitor-opentelemetry');
    useAzureMonitor({ azureMonitorExporterOptions: { connectionString } });
    telemetryInstalled();
    return {
      mode,
      shutdown: async () => {
        telemetryRemoved();
        await shutdownAzureMonitor();
      },
    };
  }
  const { ConsoleSpanExporter } = await import('@opentelemetry/sdk-trace-base');
  const { ConsoleMetricExporter, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
  const pipeline = await installTelemetry(
    new ConsoleSpanExporter(),
    new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: 60_000 }),
  );
  return { ...pipeline, mode };
}

/**
 * Installs a pipeline with the given span exporter and metric reader (console locally, in-memory
 * in tests): tracer and meter providers registered globally, with an AsyncLocalStorage context
 * manager so spans nest.
 */
export async function installTelemetry(
  spanExporter: import('@opentelemetry/sdk-trace-base').SpanExporter,
  metricReader: import('@opentelemetry/sdk-metrics').MetricReader,
): Promise<TelemetryPipeline> {
  const { BasicTracerProvider, SimpleSpanProcessor } = await import('@opentelemetry/sdk-trace-base');
  const { MeterProvider } = await import('@opentelemetry/sdk-metrics');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] });
  trace.setGlobalTracerProvider(tracerProvider);
  const meterProvider = new MeterProvider({ readers: [metricReader] });
  metrics.setGlobalMeterProvider(meterProvider);
  telemetryInstalled();
  return {
    mode: 'custom',
    shutdown: async () => {
      telemetryRemoved();
      await Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}
