/**
 * Reporting a session verdict, the same way from every entry point (the gate, forward auth): one
 * `certgate.session` log line for every verdict that is not a plain allow (what was blocked, what
 * monitor controls recorded, what report-only policies would have done), and one
 * `certgate.alert.session` alert through the AlertSink port for each enforced control that acted
 * with an alert flag. Report-only findings are logged, never alerted. What-if reports nothing.
 * May import: the verdict, ports (types), the intake's client context (types).
 */
import type { ClientContext } from '../cert/intake/index.js';
import type { AlertSink, AlertSubject } from '../ports.js';
import { SESSION_ALLOWED, type SessionFinding, type SessionVerdict } from './verdict.js';

/** Where a session verdict is reported, and about what. */
export interface SessionReportContext {
  readonly alerts: AlertSink;
  /** Writes one log line (the invocation's logger). */
  log(line: string): void;
  readonly correlationId: string;
  readonly client: ClientContext;
  /** Who and what (user, device, app), as the decision established it. */
  readonly subject?: AlertSubject;
  /** `request` (checkRequest, the upload guard) or `response` (checkResponse). */
  readonly phase: 'request' | 'response';
}

function findingLine(finding: SessionFinding): Record<string, unknown> {
  return { policyId: finding.policyId, control: finding.control, code: finding.code, rule: finding.rule };
}

/** Logs the verdict (unless it is a plain allow) and raises its alerts. Never throws. */
export function reportSessionVerdict(verdict: SessionVerdict, context: SessionReportContext): void {
  if (verdict === SESSION_ALLOWED) return;
  const plain =
    verdict.action === 'allow' &&
    verdict.reportOnly.length === 0 &&
    verdict.monitor.length === 0 &&
    verdict.alerts.length === 0;
  if (plain) return;
  try {
    context.log(
      JSON.stringify({
        event: 'certgate.session',
        phase: context.phase,
        correlationId: context.correlationId,
        action: verdict.action,
        code: verdict.code,
        ...(verdict.rule !== undefined ? { rule: verdict.rule } : {}),
        ...(verdict.policyId !== undefined ? { policyId: verdict.policyId } : {}),
        ...(context.subject ? { subject: context.subject } : {}),
        ...(context.client.host !== undefined ? { host: context.client.host } : {}),
        ...(context.client.path !== undefined ? { path: context.client.path } : {}),
        ...(verdict.monitor.length > 0 ? { monitor: verdict.monitor.map(findingLine) } : {}),
        ...(verdict.reportOnly.length > 0 ? { reportOnly: verdict.reportOnly.map(findingLine) } : {}),
      }),
    );
  } catch {
    // A logger that fails must not turn a verdict into a malfunction; the alerts below still go.
  }
  for (const finding of verdict.alerts) {
    if (!finding.alert) continue;
    context.alerts.raise({
      event: 'certgate.alert.session',
      correlationId: context.correlationId,
      ...(context.subject ? { subject: context.subject } : {}),
      policyId: finding.policyId,
      control: finding.control,
      code: finding.code,
      rule: finding.rule,
      severity: finding.alert.severity,
      client: context.client,
    });
  }
}
