/**
 * Alerts as JSON log lines at warning level (`certgate.alert.*`), through the invocation's logger:
 * Azure Monitor alert rules match them today. The observability step adds a Queue adapter; the
 * line of an alert is the alert itself, so its shape is the port's type.
 * May import: ports (types).
 */
import type { Alert, AlertSink, InvocationScoped, LogWriter } from '../ports.js';

/** {@link AlertSink} as warning log lines. */
export class LogLineAlertSink implements InvocationScoped<AlertSink> {
  constructor(private readonly lines: LogWriter) {}

  raise(alert: Alert): void {
    this.lines.warn(JSON.stringify(alert));
  }

  forInvocation(log: LogWriter): AlertSink {
    return new LogLineAlertSink(log);
  }
}
