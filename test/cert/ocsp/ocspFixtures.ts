/**
 * Shared fixtures of the OCSP tests: fixed times, the test PKI with leaves whose AIA points at a
 * loopback responder, and one helper that runs the whole check the way the revocation checker will
 * (AIA URL → request → HTTP → evaluation).
 */
import { HttpOcspClient, type HttpOcspClientOptions } from '../../../shared/adapters/httpOcspClient.js';
import {
  buildOcspRequest,
  evaluateOcspResponse,
  ocspResponderUrls,
  type OcspHashAlgorithm,
  type OcspVerdict,
} from '../../../shared/cert/revocation/ocsp.js';
import type { OcspTransportReason } from '../../../shared/cert/revocation/ocspReasons.js';
import {
  createOcspTestCa,
  issueOcspTestLeaf,
  type OcspTestCa,
  type OcspTestCredential,
} from '../../../dev/ocsp/ocspTestPki.js';
import {
  startOcspResponder,
  type OcspResponder,
  type OcspResponderOptions,
  type OcspTestStatus,
} from '../../../dev/ocsp/responder.js';

/** Every certificate is valid in [VALID_FROM, VALID_TO]. */
export const VALID_FROM = new Date('2025-01-01T00:00:00Z');
export const VALID_TO = new Date('2030-01-01T00:00:00Z');
/** The fixed "now" of the tests and of the responder's clock. */
export const NOW = new Date('2025-06-01T12:00:00Z');
export const REVOKED_AT = new Date('2025-05-20T08:00:00Z');

/** Serial numbers and what the responder says about them. */
export const SERIALS = { good: '1001', revoked: '1002', unknown: '1003', revokedWithoutReason: '1004' } as const;

/** The responder's view of the serials above. */
export function statusOf(serialHex: string): OcspTestStatus {
  switch (serialHex) {
    case SERIALS.good:
      return 'good';
    case SERIALS.revoked:
      return { revokedAt: REVOKED_AT, reason: 'keyCompromise' };
    case SERIALS.revokedWithoutReason:
      return { revokedAt: REVOKED_AT };
    default:
      return 'unknown';
  }
}

/** The CA and leaves (AIA → `ocspUrl`), made once per test file. */
export interface OcspWorld {
  readonly ca: OcspTestCa;
  readonly leaves: Record<keyof typeof SERIALS, OcspTestCredential>;
}

/** Makes the CA side of the test PKI. */
export function createTestCa(): Promise<OcspTestCa> {
  return createOcspTestCa({ validFrom: VALID_FROM, validTo: VALID_TO });
}

/** Issues the leaves, with `ocspUrl` in their AIA. */
export async function createOcspWorld(ca: OcspTestCa, ocspUrl: string): Promise<OcspWorld> {
  const leaf = (serialHex: string) =>
    issueOcspTestLeaf(ca, { serialHex, ocspUrls: [ocspUrl], validFrom: VALID_FROM, validTo: VALID_TO });
  return {
    ca,
    leaves: {
      good: await leaf(SERIALS.good),
      revoked: await leaf(SERIALS.revoked),
      unknown: await leaf(SERIALS.unknown),
      revokedWithoutReason: await leaf(SERIALS.revokedWithoutReason),
    },
  };
}

/**
 * Starts a responder for the intermediate with the fixtures' clock and statuses; `signer` defaults to the intermediate
 * itself.
 */
export function startTestResponder(
  ca: OcspTestCa,
  options: Partial<Omit<OcspResponderOptions, 'signer'>> & { signer?: OcspTestCredential } = {},
): Promise<OcspResponder> {
  const signer = options.signer ?? ca.intermediate;
  return startOcspResponder({
    issuerCertPem: ca.intermediate.certPem,
    statusOf,
    clock: () => NOW,
    ...options,
    signer: { certPem: signer.certPem, keyPem: signer.keyPem },
  });
}

/** The outcome of a whole check: a transport failure or a verdict. */
export type CheckOutcome =
  { readonly transport: OcspTransportReason } | { readonly verdict: OcspVerdict; readonly responseDer: Uint8Array };

/** Options of {@link checkOverHttp}. */
export interface CheckOptions {
  readonly url?: string;
  readonly nonce?: Uint8Array;
  readonly hashAlgorithm?: OcspHashAlgorithm;
  readonly client?: HttpOcspClientOptions;
  readonly now?: Date;
}

/** AIA URL (or `options.url`) → request → HTTP → evaluation, for `leaf` issued by the intermediate. */
export async function checkOverHttp(
  world: OcspWorld,
  leaf: OcspTestCredential,
  options: CheckOptions = {},
): Promise<CheckOutcome> {
  const url = options.url ?? ocspResponderUrls(leaf.certDer)[0];
  if (!url) throw new Error('the leaf has no OCSP URL');
  const request = buildOcspRequest({
    certDer: leaf.certDer,
    issuerDer: world.ca.intermediate.certDer,
    ...(options.nonce ? { nonce: options.nonce } : {}),
    ...(options.hashAlgorithm ? { hashAlgorithm: options.hashAlgorithm } : {}),
  });
  const result = await new HttpOcspClient(options.client).query(url, request.der);
  if (result.kind === 'failed') return { transport: result.reason };
  const verdict = evaluateOcspResponse({
    responseDer: result.der,
    certId: request.certId,
    issuerDer: world.ca.intermediate.certDer,
    now: options.now ?? NOW,
    ...(request.nonce ? { nonce: request.nonce } : {}),
  });
  return { verdict, responseDer: result.der };
}

/** The reason of an outcome, transport or verdict, for table assertions. */
export function reasonOf(outcome: CheckOutcome): string {
  return 'transport' in outcome ? outcome.transport : outcome.verdict.reason;
}
