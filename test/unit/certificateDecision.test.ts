import { describe, expect, it } from 'vitest';
import type { IntakeResult } from '../../shared/cert/intake/index.js';
import type { CertificateSummary, ValidationResult } from '../../shared/cert/validation/index.js';
import {
  applyPolicyDecision,
  applyUserBinding,
  decideCertificateAccess,
  unavailableDecision,
} from '../../shared/policy/certificateDecision.js';
import { decisionResponse, decisionStatus } from '../../shared/http/responses.js';

const now = new Date('2026-11-22T12:00:00Z');
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
const present: IntakeResult = {
  kind: 'present',
  gateway: 'app-gateway',
  leaf: new Uint8Array([0x30, 0x00]),
  chain: [],
  gatewayVerification: { status: 'success' },
  trace: [],
};
const valid: ValidationResult = {
  ok: true,
  reason: 'certificate-valid',
  trace: [{ check: 'signature', certificate: 'leaf', outcome: 'pass' }],
  leaf,
};
const expired: ValidationResult = {
  ok: false,
  reason: 'certificate-expired',
  trace: [
    { check: 'signature', certificate: 'leaf', outcome: 'pass' },
    {
      check: 'validity',
      certificate: 'leaf',
      outcome: 'fail',
      reason: 'certificate-expired',
      detail: 'notAfter 2026-01-01',
    },
  ],
  leaf,
};

describe('decideCertificateAccess', () => {
  it.each([
    {
      label: 'valid certificate',
      intake: present,
      validation: valid,
      expected: {
        effect: 'allow',
        reasons: ['client-certificate-valid', 'certificate-valid'],
        tags: ['valid-client-certificate'],
        status: 200,
      },
    },
    {
      label: 'no certificate',
      intake: { kind: 'absent', trusted: true } as IntakeResult,
      validation: undefined,
      expected: { effect: 'block', reasons: ['client-certificate-required'], tags: [], status: 403 },
    },
    {
      label: 'expired certificate',
      intake: present,
      validation: expired,
      expected: {
        effect: 'block',
        reasons: ['client-certificate-invalid', 'certificate-expired'],
        tags: [],
        status: 403,
      },
    },
    {
      label: 'header without gateway proof',
      intake: {
        kind: 'rejected',
        reason: 'forwarded-certificate-untrusted-forwarder',
        detail: 'no secret',
      } as IntakeResult,
      validation: undefined,
      expected: {
        effect: 'block',
        reasons: ['forwarded-certificate-rejected', 'forwarded-certificate-untrusted-forwarder'],
        tags: [],
        status: 401,
      },
    },
    {
      label: 'garbled header',
      intake: { kind: 'rejected', reason: 'forwarded-certificate-malformed-encoding', detail: 'bad %' } as IntakeResult,
      validation: undefined,
      expected: {
        effect: 'block',
        reasons: ['forwarded-certificate-rejected', 'forwarded-certificate-malformed-encoding'],
        tags: [],
        status: 400,
      },
    },
    {
      label: 'gateway refused the certificate in strict mode',
      intake: {
        kind: 'rejected',
        reason: 'forwarded-certificate-gateway-verification-failed',
        detail: 'FAILED:expired',
      } as IntakeResult,
      validation: undefined,
      expected: {
        effect: 'block',
        reasons: ['forwarded-certificate-rejected', 'forwarded-certificate-gateway-verification-failed'],
        tags: [],
        status: 403,
      },
    },
    {
      label: 'certificate present but CAs unavailable',
      intake: present,
      validation: undefined,
      expected: { effect: 'block', reasons: ['decision-unavailable'], tags: [], status: 503 },
    },
  ])('$label', ({ intake, validation, expected }) => {
    const decision = decideCertificateAccess({
      intake,
      ...(validation ? { validation } : {}),
      correlationId: 'corr-0001',
      now,
    });
    expect(decision.effect).toBe(expected.effect);
    expect(decision.reasons).toEqual(expected.reasons);
    expect(decision.deviceTags).toEqual(expected.tags);
    expect(decision.decidedAt).toBe(now.toISOString());
    expect(decisionStatus(decision)).toBe(expected.status);
  });

  it('names the failing check and keeps the trace for the log, not the response', () => {
    const decision = decideCertificateAccess({ intake: present, validation: expired, correlationId: 'corr-0002', now });
    expect(decision.failedCheck).toBe('validity');
    expect(decision.trace).toHaveLength(2);
    const response = decisionResponse(decision);
    expect(response.jsonBody).toMatchObject({
      decision: 'block',
      failedCheck: 'validity',
      correlationId: 'corr-0002',
      certificate: { sha256Thumbprint: leaf.sha256Thumbprint },
    });
    expect(response.jsonBody).not.toHaveProperty('trace');
    expect(response.headers).toMatchObject({ 'x-correlation-id': 'corr-0002', 'cache-control': 'no-store' });
  });

  it('reports the gateway verdict alongside its own', () => {
    const failedAtGateway: IntakeResult = {
      ...present,
      gatewayVerification: { status: 'failed', detail: 'CERT_HAS_EXPIRED' },
    };
    expect(
      decideCertificateAccess({ intake: failedAtGateway, validation: expired, correlationId: 'c-3', now })
        .gatewayVerification,
    ).toBe('failed: CERT_HAS_EXPIRED');
  });

  it('a malfunction is a block with decision-unavailable (fail closed)', () => {
    const decision = unavailableDecision('c-4', now, 'configuration');
    expect(decision).toMatchObject({
      effect: 'block',
      reasons: ['decision-unavailable'],
      failedCheck: 'configuration',
    });
    expect(decisionStatus(decision)).toBe(503);
  });
});

describe('applyUserBinding', () => {
  const allowed = decideCertificateAccess({ intake: present, validation: valid, correlationId: 'c-bind', now });

  it('a certificate bound to the signed-in user keeps its tag', () => {
    expect(applyUserBinding(allowed, { bound: true, detail: 'PrincipalName' })).toBe(allowed);
  });

  it("a certificate that is not the signed-in user's does not count: block, tag removed, check named", () => {
    const decision = applyUserBinding(allowed, { bound: false, detail: 'PrincipalName: upn differs' });
    expect(decision).toMatchObject({
      effect: 'block',
      reasons: ['client-certificate-not-bound-to-user', 'certificate-valid'],
      failedCheck: 'user-binding',
      deviceTags: [],
    });
    expect(decisionStatus(decision)).toBe(403);
  });

  it('leaves a blocked decision as it is', () => {
    const blocked = decideCertificateAccess({ intake: present, validation: expired, correlationId: 'c-bind-2', now });
    expect(applyUserBinding(blocked, { bound: false, detail: 'x' })).toBe(blocked);
  });
});

describe('lists shared between decisions built from the same cached validation', () => {
  const policy = (reason: 'policy-allow' | 'policy-monitor', decidedBy: string) =>
    ({ effect: 'allow', reason, decidedBy, alerts: [], policies: [] }) as const;

  it('one validation gives the same frozen reasons and tags; another validation its own', () => {
    const first = decideCertificateAccess({ intake: present, validation: valid, correlationId: 'c-1', now });
    const second = decideCertificateAccess({ intake: present, validation: valid, correlationId: 'c-2', now });
    expect(second.reasons).toBe(first.reasons);
    expect(Object.isFrozen(first.reasons) && Object.isFrozen(first.deviceTags)).toBe(true);
    const other = decideCertificateAccess({
      intake: present,
      validation: { ...valid, reason: 'certificate-revocation-unknown' },
      correlationId: 'c-3',
      now,
    });
    expect(other.reasons).toEqual(['client-certificate-valid', 'certificate-revocation-unknown']);
    expect(first.reasons).toEqual(['client-certificate-valid', 'certificate-valid']);
  });

  it("the policy's reason and the directory's tags are each decision's own, however often they repeat", () => {
    const certificate = decideCertificateAccess({ intake: present, validation: valid, correlationId: 'c-1', now });
    const compliant = Object.freeze(['compliant'] as const);
    const joined = Object.freeze(['hybrid-joined', 'valid-client-certificate'] as const);
    for (let round = 0; round < 2; round++) {
      const allowed = applyPolicyDecision(certificate, policy('policy-allow', 'p1'), { deviceTags: compliant });
      expect(allowed.reasons).toEqual(['policy-allow', 'client-certificate-valid', 'certificate-valid']);
      expect(allowed.deviceTags).toEqual(['valid-client-certificate', 'compliant']);
      const monitored = applyPolicyDecision(certificate, policy('policy-monitor', 'p2'), { deviceTags: joined });
      expect(monitored.reasons).toEqual(['policy-monitor', 'client-certificate-valid', 'certificate-valid']);
      expect(monitored.deviceTags).toEqual(['valid-client-certificate', 'hybrid-joined']);
      expect(applyPolicyDecision(certificate, policy('policy-allow', 'p1')).deviceTags).toEqual([
        'valid-client-certificate',
      ]);
    }
  });
});
