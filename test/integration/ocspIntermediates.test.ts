/**
 * OCSP for every certificate on the path, not only the leaf: the decision pipeline
 * (`validateClientCertificate`, the composition's real services on Azurite) asks the responder an
 * intermediate names in its AIA when the CRLs say nothing about it. Two loopback responders answer
 * over real HTTP with signed responses: one for the certificates the root issued (the
 * intermediates), one for the leaves of the good intermediate. The root is the only stored CA,
 * with revocation `required`; the intermediates are forwarded by the gateway, so the leaves'
 * revocation is `preferred` (their issuer is not stored).
 */
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import {
  issueOcspTestIntermediate,
  issueOcspTestLeaf,
  type OcspTestCa,
  type OcspTestCredential,
} from '../../dev/ocsp/ocspTestPki.js';
import {
  startOcspResponder,
  type OcspResponder,
  type OcspResponderMode,
  type OcspTestStatus,
} from '../../dev/ocsp/responder.js';
import { validateClientCertificate } from '../../shared/accessPipeline.js';
import { buildServices, type Services } from '../../shared/composition.js';
import type { RevocationPolicy } from '../../shared/ports.js';
import {
  createTestCa,
  NOW,
  REVOKED_AT,
  SERIALS,
  startTestResponder,
  statusOf,
  VALID_FROM,
  VALID_TO,
} from '../cert/ocsp/ocspFixtures.js';

/** Serial numbers of the intermediates, and what the root's responder says about them. */
const INTERMEDIATES = { good: '2001', revoked: '2002', unreachable: '2003' } as const;

function intermediateStatusOf(serialHex: string): OcspTestStatus {
  if (serialHex === INTERMEDIATES.good) return 'good';
  if (serialHex === INTERMEDIATES.revoked) return { revokedAt: REVOKED_AT, reason: 'cACompromise' };
  return 'unknown';
}

let azurite: Azurite;
let ca: OcspTestCa;
/** Answers for the root (the intermediates). */
let rootResponder: OcspResponder;
/** Answers for the root too, but is down: the `unreachable` intermediate names it. */
let downResponder: OcspResponder;
/** Answers for the good intermediate (its leaves). */
let issuingResponder: OcspResponder;
/** Answers for the test CA's own intermediate, which the `storedIssuer` services store as a trusted CA. */
let storedIssuerResponder: OcspResponder;
const intermediates = {} as Record<keyof typeof INTERMEDIATES, OcspTestCredential>;
const leaves = {} as {
  good: OcspTestCredential;
  revoked: OcspTestCredential;
  underRevoked: OcspTestCredential;
  underUnreachable: OcspTestCredential;
  unknown: OcspTestCredential;
  fromStoredIssuer: OcspTestCredential;
};

function thumbprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** The composition's services on Azurite (own tables), with the root (and `alsoStored`) stored under `revocation`. */
async function servicesWith(
  prefix: string,
  revocation: RevocationPolicy,
  alsoStored: readonly OcspTestCredential[] = [],
): Promise<Services> {
  const services = buildServices(
    {
      CERTGATE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      CERTGATE_TABLE_PREFIX: prefix,
      CERTGATE_GATEWAY_SECRETS: 'ocsp-intermediates-gateway-secret-0123456789',
      CERTGATE_CONFIG_REFRESH_SECONDS: '0',
      CERTGATE_GRAPH_ENABLED: 'false',
    },
    { now: () => NOW },
  );
  for (const stored of [ca.root, ...alsoStored]) {
    await services.trustedCas.add({
      thumbprint: thumbprint(stored.certDer),
      der: stored.certDer,
      subject: stored.cert.subject,
      issuer: stored.cert.issuer,
      serialNumber: stored.serialHex,
      notBefore: VALID_FROM.toISOString(),
      notAfter: VALID_TO.toISOString(),
      kind: stored === ca.root ? 'root' : 'intermediate',
      label: stored.cert.subject,
      enabled: true,
      revocation,
      crlUrls: [],
      bindingRules: [],
      addedAt: NOW.toISOString(),
      addedBy: 'test',
    });
  }
  return services;
}

let required: Services;
let preferred: Services;
let storedIssuer: Services;

beforeAll(async () => {
  azurite = await startAzurite();
  ca = await createTestCa();
  const clock = () => NOW;
  const root = { certPem: ca.root.certPem, keyPem: ca.root.keyPem };
  rootResponder = await startOcspResponder({
    issuerCertPem: ca.root.certPem,
    signer: root,
    statusOf: intermediateStatusOf,
    clock,
  });
  downResponder = await startOcspResponder({
    issuerCertPem: ca.root.certPem,
    signer: root,
    statusOf: intermediateStatusOf,
    clock,
    mode: 'down',
  });
  const intermediate = (serialHex: string, url: string) =>
    issueOcspTestIntermediate(ca, { serialHex, ocspUrls: [url], validFrom: VALID_FROM, validTo: VALID_TO });
  intermediates.good = await intermediate(INTERMEDIATES.good, rootResponder.url);
  intermediates.revoked = await intermediate(INTERMEDIATES.revoked, rootResponder.url);
  intermediates.unreachable = await intermediate(INTERMEDIATES.unreachable, downResponder.url);
  issuingResponder = await startOcspResponder({
    issuerCertPem: intermediates.good.certPem,
    signer: { certPem: intermediates.good.certPem, keyPem: intermediates.good.keyPem },
    statusOf,
    clock,
  });
  const leaf = (serialHex: string, issuer: OcspTestCredential, ocspUrls?: string[]) =>
    issueOcspTestLeaf(ca, {
      serialHex,
      issuer,
      validFrom: VALID_FROM,
      validTo: VALID_TO,
      ...(ocspUrls ? { ocspUrls } : {}),
    });
  leaves.good = await leaf(SERIALS.good, intermediates.good, [issuingResponder.url]);
  leaves.revoked = await leaf(SERIALS.revoked, intermediates.good, [issuingResponder.url]);
  leaves.underRevoked = await leaf(SERIALS.good, intermediates.revoked);
  leaves.underUnreachable = await leaf(SERIALS.good, intermediates.unreachable);
  leaves.unknown = await leaf(SERIALS.unknown, intermediates.good, [issuingResponder.url]);
  storedIssuerResponder = await startTestResponder(ca);
  leaves.fromStoredIssuer = await issueOcspTestLeaf(ca, {
    serialHex: SERIALS.revoked,
    ocspUrls: [storedIssuerResponder.url],
    validFrom: VALID_FROM,
    validTo: VALID_TO,
  });
  required = await servicesWith('ocspreq', { mode: 'required', unknown: 'block' });
  preferred = await servicesWith('ocsppref', { mode: 'preferred', unknown: 'block' });
  storedIssuer = await servicesWith('ocspstored', { mode: 'required', unknown: 'block' }, [ca.intermediate]);
}, 120_000);

afterAll(async () => {
  await Promise.all([
    rootResponder.close(),
    downResponder.close(),
    issuingResponder.close(),
    storedIssuerResponder.close(),
  ]);
  await azurite.close();
});

function validate(services: Services, leaf: OcspTestCredential, intermediate?: OcspTestCredential) {
  const chain = intermediate ? [intermediate.certDer] : [];
  return validateClientCertificate(services, {
    leaf: leaf.certDer,
    chain,
    now: NOW,
    correlationId: 'ocsp-intermediates',
    alerts: { raise: () => undefined },
    fresh: true,
  });
}

function revocationOf(
  trace: readonly { check: string; certificate: string; outcome: string; reason?: string; detail?: string }[],
  position: string,
) {
  return trace.find((entry) => entry.check === 'revocation' && entry.certificate === position);
}

describe('OCSP for the intermediates on the path (root: revocation required)', () => {
  it('an intermediate revoked per OCSP (on no CRL) revokes the path: certificate-revoked at intermediate[1]', async () => {
    const result = await validate(required, leaves.underRevoked, intermediates.revoked);
    expect(result).toMatchObject({ ok: false, reason: 'certificate-revoked' });
    expect(revocationOf(result.trace, 'intermediate[1]')).toMatchObject({
      outcome: 'fail',
      reason: 'certificate-revoked',
      detail: expect.stringMatching(/^OCSP: revoked/),
    });
  });

  it('intermediate good and leaf good per OCSP: valid, each answered by its own responder', async () => {
    const result = await validate(required, leaves.good, intermediates.good);
    expect(result).toMatchObject({ ok: true, reason: 'certificate-valid' });
    expect(revocationOf(result.trace, 'intermediate[1]')).toMatchObject({
      outcome: 'pass',
      detail: expect.stringMatching(/^OCSP: good/),
    });
    expect(revocationOf(result.trace, 'leaf')).toMatchObject({
      outcome: 'pass',
      detail: expect.stringMatching(/^OCSP: good/),
    });
  });

  it('the leaf shows up only once its issuer is resolved: intermediate good, then leaf revoked per OCSP', async () => {
    const result = await validate(required, leaves.revoked, intermediates.good);
    expect(result).toMatchObject({ ok: false, reason: 'certificate-revoked' });
    expect(revocationOf(result.trace, 'intermediate[1]')).toMatchObject({ outcome: 'pass' });
    expect(revocationOf(result.trace, 'leaf')).toMatchObject({
      outcome: 'fail',
      reason: 'certificate-revoked',
      detail: expect.stringMatching(/^OCSP: revoked/),
    });
  });

  it("the intermediate's responder down: certificate-revocation-unknown (fail closed), the responder asked once per validation", async () => {
    for (const attempt of [1, 2]) {
      const before = downResponder.requestCount;
      const result = await validate(required, leaves.underUnreachable, intermediates.unreachable);
      expect(result, `attempt ${attempt}`).toMatchObject({ ok: false, reason: 'certificate-revocation-unknown' });
      expect(revocationOf(result.trace, 'intermediate[1]')).toMatchObject({
        outcome: 'fail',
        reason: 'certificate-revocation-unknown',
      });
      expect(downResponder.requestCount - before, `attempt ${attempt}`).toBe(1);
    }
  });

  it('a responder that comes back is asked again by the next validation (failures are not cached)', async () => {
    const responder = await startOcspResponder({
      issuerCertPem: ca.root.certPem,
      signer: { certPem: ca.root.certPem, keyPem: ca.root.keyPem },
      statusOf: () => 'good',
      clock: () => NOW,
      mode: 'down',
    });
    try {
      const intermediate = await issueOcspTestIntermediate(ca, {
        serialHex: '2005',
        ocspUrls: [responder.url],
        validFrom: VALID_FROM,
        validTo: VALID_TO,
      });
      const leaf = await issueOcspTestLeaf(ca, {
        serialHex: SERIALS.good,
        issuer: intermediate,
        validFrom: VALID_FROM,
        validTo: VALID_TO,
      });
      expect((await validate(required, leaf, intermediate)).reason).toBe('certificate-revocation-unknown');
      responder.setMode('normal' satisfies OcspResponderMode);
      expect((await validate(required, leaf, intermediate)).reason).toBe('certificate-valid');
    } finally {
      await responder.close();
    }
  });
});

describe('OCSP for the intermediates on the path (root: revocation preferred)', () => {
  it('the intermediate and the leaf, both unknown to the CRLs, are asked in the same round', async () => {
    const rootBefore = rootResponder.requestCount;
    const issuingBefore = issuingResponder.requestCount;
    const result = await validate(preferred, leaves.unknown, intermediates.good);
    // The leaf's responder does not know it (OCSP unknown) and the leaf's mode is preferred: valid, its status unknown.
    expect(result).toMatchObject({ ok: true, reason: 'certificate-valid' });
    expect(revocationOf(result.trace, 'intermediate[1]')).toMatchObject({
      outcome: 'pass',
      detail: expect.stringMatching(/^OCSP: good/),
    });
    expect(revocationOf(result.trace, 'leaf')).toMatchObject({
      outcome: 'skip',
      reason: 'certificate-revocation-unknown',
    });
    expect(rootResponder.requestCount - rootBefore).toBe(1);
    expect(issuingResponder.requestCount - issuingBefore).toBe(1);
  });
});

describe('OCSP for the leaf when its issuer is a stored CA (as before)', () => {
  it('the leaf revoked per OCSP: certificate-revoked at the leaf, its issuer found among the trusted CAs', async () => {
    const result = await validate(storedIssuer, leaves.fromStoredIssuer);
    expect(result).toMatchObject({ ok: false, reason: 'certificate-revoked' });
    expect(revocationOf(result.trace, 'leaf')).toMatchObject({
      outcome: 'fail',
      reason: 'certificate-revoked',
      detail: expect.stringMatching(/^OCSP: revoked/),
    });
  });
});
