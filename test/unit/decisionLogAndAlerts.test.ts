/**
 * The decision log and alert ports as log lines: the same JSON lines as before the ports (operators'
 * queries and alert rules read them), at the same levels, through the invocation's logger when
 * bound to one.
 */
import { describe, expect, it } from 'vitest';
import { LogLineAlertSink } from '../../shared/adapters/logLineAlertSink.js';
import { LogLineDecisionLog } from '../../shared/adapters/logLineDecisionLog.js';
import type { ClientContext } from '../../shared/cert/intake/index.js';
import type { CertificateSummary } from '../../shared/cert/validation/index.js';
import {
  applyPolicyDecision,
  decideCertificateAccess,
  type Decision,
} from '../../shared/policy/certificateDecision.js';
import type { Alert, LogWriter } from '../../shared/ports.js';

const now = new Date('2026-11-22T12:00:00Z');
const client: ClientContext = {
  clientIp: '203.0.113.7',
  host: 'portal.contoso.example',
  path: '/',
  userAgent: 'curl/8',
  proven: true,
  dropped: [],
};
const leaf: CertificateSummary = {
  subject: 'CN=alice',
  issuer: 'CN=Issuing CA',
  serialNumber: '01',
  sha256Thumbprint: 'ab'.repeat(32),
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2027-01-01T00:00:00.000Z',
  subjectAltNames: [],
  policyOids: [],
};
const allowed = applyPolicyDecision(
  decideCertificateAccess({
    intake: {
      kind: 'present',
      gateway: 'app-gateway',
      leaf: new Uint8Array([0x30, 0x00]),
      chain: [],
      gatewayVerification: { status: 'success' },
      trace: [],
    },
    validation: {
      ok: true,
      reason: 'certificate-valid',
      trace: [{ check: 'signature', certificate: 'leaf', outcome: 'pass' }],
      leaf,
    },
    correlationId: 'c-allow',
    now,
  }),
  { effect: 'allow', reason: 'policy-allow', decidedBy: 'portal', alerts: [], policies: [] },
  {
    deviceTags: ['compliant'],
    trace: { groups: { source: 'token', asked: 1 }, device: { source: 'not-in-certificate' } },
  },
);
const blocked = decideCertificateAccess({ intake: { kind: 'absent', trusted: true }, correlationId: 'c-block', now });

/** A log writer that keeps what it was given, with the level. */
function recording(): LogWriter & { readonly lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(`info ${line}`), warn: (line) => lines.push(`warn ${line}`) };
}

describe('LogLineDecisionLog', () => {
  it('writes an allow as a summary line at information level (the format of the authorize trigger before the port)', () => {
    const lines = recording();
    new LogLineDecisionLog(lines).record({ decision: allowed, client, user: 'alice@contoso.example' });
    const { directory } = allowed;
    const before = JSON.stringify({
      event: 'certgate.decision',
      effect: 'allow',
      reasons: allowed.reasons,
      decidedBy: allowed.policy?.decidedBy,
      deviceTags: allowed.deviceTags,
      certificate: allowed.certificate
        ? { sha256Thumbprint: allowed.certificate.sha256Thumbprint, subject: allowed.certificate.subject }
        : undefined,
      directory: directory ? { groups: directory.groups?.source, device: directory.device?.source } : undefined,
      correlationId: allowed.correlationId,
      decidedAt: allowed.decidedAt,
      client,
      user: 'alice@contoso.example',
    });
    expect(lines.lines).toEqual([`info ${before}`]);
    expect(JSON.parse(before)).toMatchObject({
      decidedBy: 'portal',
      directory: { groups: 'token', device: 'not-in-certificate' },
      certificate: { subject: 'CN=alice' },
    });
  });

  it.each<{ label: string; decision: Decision; user?: string; client?: ClientContext }>([
    {
      label: 'no user, no policy, no directory trace',
      decision: { ...allowed, policy: undefined, directory: undefined },
    },
    {
      label: 'no certificate',
      decision: { ...allowed, certificate: undefined },
      user: 'unauthenticated (token-expired)',
    },
    { label: 'frozen lists', decision: { ...allowed, reasons: Object.freeze([...allowed.reasons]) } },
    {
      label: 'text that needs escaping',
      decision: { ...allowed, certificate: { ...leaf, subject: 'CN="Ève \\ \u2028"\n' }, correlationId: 'c-\u0001' },
      user: 'o\'brien "x"@contoso.example',
      client: { ...client, userAgent: 'agent/1 "quoted" \ud800', provenBy: 'nginx' as const },
    },
    {
      label: 'a directory trace with one side',
      decision: { ...allowed, directory: { groups: { source: 'directory' as const, asked: 2 } } },
    },
  ])('an allow line is byte for byte the JSON of the summary object: $label', ({ decision, user, client: given }) => {
    const entry = { decision, client: given ?? client, ...(user !== undefined ? { user } : {}) };
    const { directory, certificate } = decision;
    const expected = JSON.stringify({
      event: 'certgate.decision',
      effect: 'allow',
      reasons: decision.reasons,
      decidedBy: decision.policy?.decidedBy,
      deviceTags: decision.deviceTags,
      certificate: certificate
        ? { sha256Thumbprint: certificate.sha256Thumbprint, subject: certificate.subject }
        : undefined,
      directory: directory ? { groups: directory.groups?.source, device: directory.device?.source } : undefined,
      correlationId: decision.correlationId,
      decidedAt: decision.decidedAt,
      client: entry.client,
      user,
    });
    for (let time = 0; time < 2; time++) {
      // twice: the second line comes from what the first one remembered
      const lines = recording();
      new LogLineDecisionLog(lines).record(entry);
      expect(lines.lines).toEqual([`info ${expected}`]);
    }
  });

  it('writes a block as the whole decision at warning level', () => {
    const lines = recording();
    new LogLineDecisionLog(lines).record({ decision: blocked, client });
    expect(lines.lines).toEqual([
      `warn ${JSON.stringify({ event: 'certgate.decision', ...blocked, client, user: undefined })}`,
    ]);
  });

  it('writes through the invocation it is bound to, and stays as it was', () => {
    const worker = recording();
    const invocation = recording();
    const log = new LogLineDecisionLog(worker);
    log.forInvocation(invocation).record({ decision: blocked, client });
    expect(invocation.lines).toHaveLength(1);
    expect(worker.lines).toEqual([]);
  });
});

describe('LogLineAlertSink', () => {
  it.each<{ label: string; alert: Alert; line: string }>([
    {
      label: 'untrusted forwarder',
      alert: {
        event: 'certgate.alert.untrusted-forwarder',
        correlationId: 'c1',
        detail: 'no gateway secret',
        remoteAddress: '198.51.100.4',
        client,
      },
      line: JSON.stringify({
        event: 'certgate.alert.untrusted-forwarder',
        correlationId: 'c1',
        detail: 'no gateway secret',
        remoteAddress: '198.51.100.4',
        client,
      }),
    },
    {
      label: 'policy alert',
      alert: {
        event: 'certgate.alert.policy',
        correlationId: 'c2',
        policyId: 'block-legacy',
        severity: 'high',
        effect: 'block',
        client,
      },
      line: JSON.stringify({
        event: 'certgate.alert.policy',
        correlationId: 'c2',
        policyId: 'block-legacy',
        severity: 'high',
        effect: 'block',
        client,
      }),
    },
    {
      label: 'revocation unknown',
      alert: { event: 'certgate.alert.revocation-unknown', correlationId: 'c3', certificate: 'ab'.repeat(32) },
      line: JSON.stringify({
        event: 'certgate.alert.revocation-unknown',
        correlationId: 'c3',
        certificate: 'ab'.repeat(32),
      }),
    },
  ])('writes the alert line at warning level: $label', ({ alert, line }) => {
    const lines = recording();
    new LogLineAlertSink(lines).raise(alert);
    expect(lines.lines).toEqual([`warn ${line}`]);
  });

  it('writes through the invocation it is bound to', () => {
    const worker = recording();
    const invocation = recording();
    new LogLineAlertSink(worker)
      .forInvocation(invocation)
      .raise({ event: 'certgate.alert.revocation-unknown', correlationId: 'c4', certificate: undefined });
    expect(invocation.lines).toEqual([
      `warn ${JSON.stringify({ event: 'certgate.alert.revocation-unknown', correlationId: 'c4' })}`,
    ]);
    expect(worker.lines).toEqual([]);
  });
});
