/**
 * Decision records for the decision log tests, built as the pipeline builds them (whole Decision
 * values with traces and per-policy outcomes), at times the test chooses.
 */
import type { Decision } from '../../shared/policy/certificateDecision.js';
import type { PolicyTrace } from '../../shared/policy/evaluateAccess.js';
import type { DecisionRecord } from '../../shared/ports.js';

/** What varies between the test decisions. */
export interface RecordSpec {
  readonly at: Date;
  readonly correlationId: string;
  readonly effect?: 'allow' | 'block';
  readonly reasons?: readonly string[];
  readonly failedCheck?: string;
  readonly app?: string;
  readonly user?: string;
  readonly userId?: string;
  readonly thumbprint?: string;
  readonly deviceId?: string;
  readonly clientIp?: string;
  readonly policies?: readonly PolicyTrace[];
  readonly decidedBy?: string;
  readonly policyReason?: string;
  /** Repeat the trace's detail to make it this many characters long (truncation). */
  readonly traceChars?: number;
}

/** A report-only block policy's trace entry with the given outcome. */
export function reportOnlyBlock(id: string, outcome: PolicyTrace['outcome']): PolicyTrace {
  return {
    id,
    name: id,
    state: 'report-only',
    action: 'block',
    enforced: false,
    outcome,
    conditions: [
      { condition: 'deviceTags', result: outcome === 'applies' ? 'match' : 'no-match', detail: 'tags: none' },
    ],
  };
}

/** An enforced policy's trace entry. */
export function enforced(id: string, action: PolicyTrace['action'], outcome: PolicyTrace['outcome']): PolicyTrace {
  return {
    id,
    name: id,
    state: 'enabled',
    action,
    enforced: true,
    outcome,
    conditions: [{ condition: 'apps', result: outcome === 'applies' ? 'match' : 'no-match', detail: 'app portal' }],
  };
}

/** A decision record as decideAccess hands it to the log. */
export function recordOf(spec: RecordSpec): DecisionRecord {
  const effect = spec.effect ?? 'block';
  const detail = spec.traceChars ? 'x'.repeat(spec.traceChars) : undefined;
  const decision = {
    correlationId: spec.correlationId,
    decidedAt: spec.at.toISOString(),
    effect,
    reasons: (spec.reasons ??
      (effect === 'block'
        ? ['client-certificate-invalid', 'certificate-expired']
        : ['client-certificate-valid', 'certificate-valid'])) as Decision['reasons'],
    failedCheck: spec.failedCheck ?? (effect === 'block' ? 'validity' : undefined),
    deviceTags: effect === 'allow' ? ['valid-client-certificate'] : [],
    certificate: spec.thumbprint
      ? {
          subject: 'CN=alice',
          issuer: 'CN=Contoso Dev Issuing CA',
          serialNumber: '01',
          sha256Thumbprint: spec.thumbprint,
          notBefore: '2025-01-01T00:00:00.000Z',
          notAfter: '2027-01-01T00:00:00.000Z',
          subjectAltNames: [],
          policyOids: [],
        }
      : undefined,
    trace: [
      { check: 'signature', certificate: 'leaf', outcome: 'pass' },
      effect === 'block'
        ? {
            check: 'validity',
            certificate: 'leaf',
            outcome: 'fail',
            reason: 'certificate-expired',
            detail: detail ?? 'notAfter 2025-01-01T00:00:00Z is before 2026-01-15T00:00:00Z',
            rule: 'RFC 5280 §6.1.3 (a)(2)',
          }
        : { check: 'validity', certificate: 'leaf', outcome: 'pass', ...(detail ? { detail } : {}) },
      { check: 'revocation', certificate: 'leaf', outcome: effect === 'block' ? 'skip' : 'pass' },
    ],
    policy: spec.policies
      ? {
          reason:
            spec.policyReason ?? (effect === 'block' ? 'baseline-certificate-required' : 'baseline-certificate-valid'),
          decidedBy: spec.decidedBy,
          alerts: [],
          policies: spec.policies,
        }
      : undefined,
    directory: spec.deviceId ? { device: { source: 'cache', deviceId: spec.deviceId, known: true } } : undefined,
    app: spec.app
      ? { status: 'registered', id: spec.app, by: 'route', detail: `host ${spec.app}.contoso.example` }
      : undefined,
  } as Decision;
  return {
    decision,
    client: { clientIp: spec.clientIp ?? '203.0.113.7', host: 'portal.contoso.example', proven: true, dropped: [] },
    user: spec.user,
    userId: spec.userId,
  };
}
