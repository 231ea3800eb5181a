/**
 * OCSP (RFC 6960) for certgate's revocation checks, the pure part: where to ask (AIA id-ad-ocsp),
 * what to ask (an OCSPRequest with a CertID and an optional nonce, RFC 8954), and what the answer
 * means (a verified, fresh SingleResponse for our CertID, or a failure with its own reason code).
 * No I/O, no clock: `now` is an argument. pkijs / asn1js read and write the OCSP ASN.1; the
 * certificates (issuer, delegated responder) are decoded by certgate's strict X.509 reader, and every
 * signature is checked by the validator's `verifySignature` (node:crypto), under
 * {@link OCSP_SIGNATURE_POLICY}.
 *
 * {@link evaluateOcspResponse} runs its checks in this fixed order and stops at the first failure:
 *  1. OCSPResponse parses, responseStatus is successful, responseBytes are id-pkix-ocsp-basic and parse;
 *  2. the issuer certificate parses;
 *  3. the signer: the responder id (byName / byKey) names the issuing CA, or a certificate included
 *     in the response that is issued (signature-checked) by the issuing CA, carries EKU
 *     id-kp-OCSPSigning and is within its validity at `now` (± skew);
 *  4. the response signature verifies with the signer's key;
 *  5. a SingleResponse for our CertID is present (hash algorithm, both hashes, serial);
 *  6. thisUpdate is not in the future (± skew); nextUpdate has not passed (± skew), or, when the
 *     response has no nextUpdate, thisUpdate is at most `maxAgeSeconds` old (± skew);
 *  7. the nonce, when we sent one: a missing echo is accepted (many responders, and every
 *     pre-signed/CDN-served response, omit it), a different nonce is a failure;
 *  8. the certificate status: good / revoked (time, reason) / unknown.
 * Malformed input of any kind gives a verdict with a reason, never an exception.
 *
 * The revocation status of a delegated responder certificate is not checked (that would recurse);
 * whether it carries id-pkix-ocsp-nocheck is reported in the verdict.
 * May import: node:crypto, pkijs, asn1js, ./ocspReasons.js, ../x509/*, ../validation/signatureVerification.js.
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { isAlgorithmRefusal, verifySignature, type AlgorithmPolicy } from '../validation/signatureVerification.js';
import { decodeAlgorithmIdentifier, isCertificateParseFailure, parseCertificateDer, type AlgorithmIdentifier, type ParsedCertificate, type SubjectPublicKeyInfo } from '../x509/certificate.js';
import { decodeDer, toHex } from '../x509/derNodes.js';
import type { OcspFailureReason, OcspReason } from './ocspReasons.js';
import { CertgateError, messageOf } from '../../errors.js';

/** Hash algorithms for a CertID: SHA-1 is what every responder must support; SHA-256 is optional. */
export type OcspHashAlgorithm = 'SHA-1' | 'SHA-256';

/** The CertID we asked about, as plain values (also a good cache key: see {@link ocspCertIdKey}). */
export interface OcspCertId {
  readonly hashAlgorithm: OcspHashAlgorithm;
  /** Hash of the DER of the issuer's subject name. */
  readonly issuerNameHash: Uint8Array;
  /** Hash of the issuer's subjectPublicKey BIT STRING contents (without the unused-bits octet). */
  readonly issuerKeyHash: Uint8Array;
  /** The content octets of the certificate's serialNumber INTEGER, exactly as encoded. */
  readonly serialNumber: Uint8Array;
  /** The serial number as lowercase hex, leading zero octets removed (at least two digits). */
  readonly serialHex: string;
}

/** A DER OCSPRequest for one certificate, with the CertID and nonce needed to evaluate the answer. */
export interface OcspRequest {
  readonly der: Uint8Array;
  readonly certId: OcspCertId;
  readonly nonce?: Uint8Array;
}

/** What a verified (or unusable) OCSP response says about one certificate. */
export interface OcspVerdict {
  /**
   * The certificate's status. `good` and `revoked` appear only with `ocsp-good` / `ocsp-revoked`;
   * every failure reason comes with `unknown` (the responder said nothing usable).
   */
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly reason: OcspReason;
  readonly revokedAt?: Date;
  /** CRLReason name (RFC 5280 §5.3.1), e.g. `keyCompromise`, when the responder gave one. */
  readonly revocationReason?: string;
  readonly thisUpdate?: Date;
  /** Until when the answer may be cached; absent when the responder gave no nextUpdate. */
  readonly nextUpdate?: Date;
  readonly producedAt?: Date;
  /** Who signed a verified response: the issuing CA or a delegated responder certificate. */
  readonly signedBy?: 'issuer' | 'delegated-responder';
  /** For a delegated responder: whether its certificate carries id-pkix-ocsp-nocheck. */
  readonly responderNoCheck?: boolean;
  /** Admin-trace detail (never shown to end users). */
  readonly detail?: string;
}

/** Inputs of {@link evaluateOcspResponse}. */
export interface OcspEvaluationInput {
  readonly responseDer: Uint8Array;
  readonly certId: OcspCertId;
  /** DER of the CA that issued the certificate being checked (from the validated path). */
  readonly issuerDer: Uint8Array;
  readonly now: Date;
  /** The nonce we sent, if any. */
  readonly nonce?: Uint8Array;
  /** Maximum age of thisUpdate when the response has no nextUpdate. Default {@link DEFAULT_OCSP_MAX_AGE_SECONDS}. */
  readonly maxAgeSeconds?: number;
  /** Tolerance for clocks on every time comparison. Default {@link DEFAULT_OCSP_CLOCK_SKEW_SECONDS}. */
  readonly clockSkewSeconds?: number;
}

/**
 * Default maximum age of a response without nextUpdate: one day. RFC 6960 §4.2.2.1 reads a missing
 * nextUpdate as "newer information is always available", so such a response is only current when
 * produced; a day tolerates responders that pre-sign without nextUpdate while keeping a replayed
 * "good" from outliving a revocation by more than a day.
 */
export const DEFAULT_OCSP_MAX_AGE_SECONDS = 86_400;

/** Default clock tolerance: five minutes, the usual allowance between a responder's clock and ours. */
export const DEFAULT_OCSP_CLOCK_SKEW_SECONDS = 300;

/**
 * The algorithm policy for OCSP signatures (responses and delegated responder certificates). SHA-1
 * is allowed because many responders still sign with it (RFC 6960 names SHA-1 for CertIDs too), and
 * there is no RSA floor: the issuer's key was already held to the validator's policy, and this
 * module refused no key size before sharing the validator's verification.
 */
export const OCSP_SIGNATURE_POLICY: AlgorithmPolicy = { allowSha1: true, minRsaBits: 0 };

/** Why an OCSP request could not be built (bad input from the caller: a malfunction, not a verdict). */
export type OcspRequestErrorCode = 'ocsp-request-certificate-malformed' | 'ocsp-request-issuer-malformed' | 'ocsp-request-nonce-invalid';

/** Thrown by {@link buildOcspRequest} when its input is unusable. */
export class OcspRequestError extends CertgateError {
  constructor(readonly code: OcspRequestErrorCode, message: string) {
    super(message);
    this.name = 'OcspRequestError';
  }
}

const ID_AD_OCSP = '1.3.6.1.5.5.7.48.1';
const ID_PKIX_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const ID_PKIX_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const ID_PKIX_OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
const ID_KP_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const ID_CE_EXT_KEY_USAGE = '2.5.29.37';
const ID_PE_AUTHORITY_INFO_ACCESS = '1.3.6.1.5.5.7.1.1';
const GENERAL_NAME_URI = 6;

const HASH_OID: Readonly<Record<OcspHashAlgorithm, string>> = {
  'SHA-1': '1.3.14.3.2.26',
  'SHA-256': '2.16.840.1.101.3.4.2.1',
};

/** Hashes a responder may use in its CertIDs; we recompute the issuer hashes under any of them. */
const NODE_HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** RFC 5280 §5.3.1 CRLReason names by value (7 is not used). */
const CRL_REASON_NAMES: Readonly<Record<number, string>> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};

const RESPONSE_STATUS_FAILURES: Readonly<Record<number, OcspFailureReason>> = {
  1: 'ocsp-responder-malformed-request',
  2: 'ocsp-responder-internal-error',
  3: 'ocsp-responder-try-later',
  5: 'ocsp-responder-sig-required',
  6: 'ocsp-responder-unauthorized',
};

// ---------------------------------------------------------------------------------------------
// Where to ask

/**
 * The OCSP responder URLs in a certificate's Authority Information Access extension (id-ad-ocsp),
 * http: and https: only, in certificate order, without duplicates. Empty when there are none or the
 * certificate cannot be parsed.
 */
export function ocspResponderUrls(certDer: Uint8Array): string[] {
  const certificate = parseCertificate(certDer);
  if (!certificate) return [];
  const urls: string[] = [];
  for (const extension of certificate.extensions ?? []) {
    if (extension.extnID !== ID_PE_AUTHORITY_INFO_ACCESS) continue;
    const parsed: unknown = safeParsedValue(extension);
    if (!(parsed instanceof pkijs.InfoAccess)) continue;
    for (const description of parsed.accessDescriptions) {
      if (description.accessMethod !== ID_AD_OCSP || description.accessLocation.type !== GENERAL_NAME_URI) continue;
      const location: unknown = description.accessLocation.value;
      if (typeof location !== 'string') continue;
      let url: URL;
      try {
        url = new URL(location);
      } catch {
        continue;
      }
      if ((url.protocol === 'http:' || url.protocol === 'https:') && !urls.includes(location)) urls.push(location);
    }
  }
  return urls;
}

// ---------------------------------------------------------------------------------------------
// What to ask

/**
 * Builds a DER OCSPRequest for `certDer`, issued by `issuerDer` (the issuer from the validated path:
 * its subject name and key go into the CertID). `nonce` (1–32 octets, RFC 8954) is sent as the
 * id-pkix-ocsp-nonce request extension; pass fresh random bytes to defeat replay, or none to allow
 * responders and CDNs to serve cached responses. Throws {@link OcspRequestError} on unusable input.
 */
export function buildOcspRequest(input: {
  readonly certDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly nonce?: Uint8Array;
  readonly hashAlgorithm?: OcspHashAlgorithm;
}): OcspRequest {
  const certificate = parseCertificate(input.certDer);
  if (!certificate) throw new OcspRequestError('ocsp-request-certificate-malformed', 'the certificate is not a DER X.509 certificate');
  const issuer = parseCertificate(input.issuerDer);
  if (!issuer) throw new OcspRequestError('ocsp-request-issuer-malformed', 'the issuer is not a DER X.509 certificate');
  const nonce = input.nonce;
  if (nonce && (nonce.byteLength < 1 || nonce.byteLength > 32)) {
    throw new OcspRequestError('ocsp-request-nonce-invalid', `a nonce has 1 to 32 octets (RFC 8954), got ${nonce.byteLength}`);
  }
  const hashAlgorithm = input.hashAlgorithm ?? 'SHA-1';
  const serialNumber = Uint8Array.from(certificate.serialNumber.valueBlock.valueHexView);
  const certId: OcspCertId = {
    hashAlgorithm,
    issuerNameHash: digest(NODE_HASH_BY_OID[HASH_OID[hashAlgorithm]] ?? 'sha1', issuerNameDer(issuer)),
    issuerKeyHash: digest(NODE_HASH_BY_OID[HASH_OID[hashAlgorithm]] ?? 'sha1', issuerKeyBits(issuer)),
    serialNumber,
    serialHex: serialHexOf(serialNumber),
  };
  const request = new pkijs.OCSPRequest({
    tbsRequest: new pkijs.TBSRequest({
      requestList: [
        new pkijs.Request({
          reqCert: new pkijs.CertID({
            hashAlgorithm: new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OID[hashAlgorithm], algorithmParams: new asn1js.Null() }),
            issuerNameHash: new asn1js.OctetString({ valueHex: certId.issuerNameHash }),
            issuerKeyHash: new asn1js.OctetString({ valueHex: certId.issuerKeyHash }),
            serialNumber: new asn1js.Integer({ valueHex: serialNumber }),
          }),
        }),
      ],
      ...(nonce
        ? {
            requestExtensions: [
              new pkijs.Extension({
                extnID: ID_PKIX_OCSP_NONCE,
                critical: false,
                extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(false),
              }),
            ],
          }
        : {}),
    }),
  });
  const der = new Uint8Array(request.toSchema(true).toBER(false));
  return { der, certId, ...(nonce ? { nonce: Uint8Array.from(nonce) } : {}) };
}

/** A stable string for a CertID (hash algorithm, both hashes, serial), for caches keyed by certificate. */
export function ocspCertIdKey(certId: OcspCertId): string {
  return [certId.hashAlgorithm, toHex(certId.issuerNameHash), toHex(certId.issuerKeyHash), toHex(certId.serialNumber)].join(':');
}

// ---------------------------------------------------------------------------------------------
// What the answer means

/**
 * Evaluates a DER OCSPResponse for the certificate identified by `certId`, issued by `issuerDer`,
 * at `now`. Runs the checks listed in this module's header, in that order; never throws.
 */
export function evaluateOcspResponse(input: OcspEvaluationInput): OcspVerdict {
  try {
    return evaluate(input);
  } catch (error) {
    // pkijs/asn1js can throw on inputs their schemas accept but their accessors do not expect.
    return failure('ocsp-response-malformed', `unexpected structure: ${messageOf(error)}`);
  }
}

function evaluate(input: OcspEvaluationInput): OcspVerdict {
  const skewMs = (input.clockSkewSeconds ?? DEFAULT_OCSP_CLOCK_SKEW_SECONDS) * 1000;
  const maxAgeMs = (input.maxAgeSeconds ?? DEFAULT_OCSP_MAX_AGE_SECONDS) * 1000;
  const nowMs = input.now.getTime();

  // 1. Envelope.
  const outer = decodeExactly(input.responseDer);
  if (!outer) return failure('ocsp-response-malformed', 'not a single DER value');
  const response = construct(() => new pkijs.OCSPResponse({ schema: outer }));
  if (!response) return failure('ocsp-response-malformed', 'not an OCSPResponse');
  const responseStatus = response.responseStatus.valueBlock.valueDec;
  if (responseStatus !== 0) {
    return failure(RESPONSE_STATUS_FAILURES[responseStatus] ?? 'ocsp-responder-unknown-status', `responseStatus ${responseStatus}`);
  }
  if (!response.responseBytes) return failure('ocsp-response-malformed', 'successful response without responseBytes');
  if (response.responseBytes.responseType !== ID_PKIX_OCSP_BASIC) {
    return failure('ocsp-response-not-basic', `responseType ${response.responseBytes.responseType}`);
  }
  const basicSchema = decodeExactly(response.responseBytes.response.valueBlock.valueHexView);
  if (!basicSchema) return failure('ocsp-response-malformed', 'responseBytes do not hold a single DER value');
  const basic = construct(() => new pkijs.BasicOCSPResponse({ schema: basicSchema }));
  if (!basic) return failure('ocsp-response-malformed', 'not a BasicOCSPResponse');
  const tbs = basic.tbsResponseData;

  // 2. Issuer.
  const issuer = parseCertificate(input.issuerDer);
  const issuerParsed = parseCertificateDer(input.issuerDer);
  if (!issuer || isCertificateParseFailure(issuerParsed)) return failure('ocsp-issuer-malformed', 'the issuer is not a DER X.509 certificate');
  const issuerKey = issuerParsed.subjectPublicKeyInfo;
  if (!issuerKey.publicKey()) return failure('ocsp-issuer-malformed', 'the issuer public key cannot be loaded');

  // 3–4. Signer and signature.
  const signer = authoriseSigner(basic, includedCertificateDers(basicSchema), issuer, issuerKey, nowMs, skewMs);
  if (signer.kind === 'failed') return failure(signer.reason, signer.detail);
  const signedFields = {
    signedBy: signer.signedBy,
    ...(signer.signedBy === 'delegated-responder' ? { responderNoCheck: signer.noCheck } : {}),
    producedAt: tbs.producedAt,
  };

  // 5. Our SingleResponse.
  const single = tbs.responses.find((candidate) => certIdMatches(candidate.certID, input.certId, issuer));
  if (!single) return { ...failure('ocsp-cert-id-not-found', `${tbs.responses.length} SingleResponse(s), none for serial ${input.certId.serialHex}`), ...signedFields };
  const times = {
    thisUpdate: single.thisUpdate,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
  };

  // 6. Time window.
  const thisUpdateMs = single.thisUpdate.getTime();
  if (Number.isNaN(thisUpdateMs)) return { ...failure('ocsp-response-malformed', 'thisUpdate is not a valid time'), ...signedFields };
  if (thisUpdateMs > nowMs + skewMs) {
    return { ...failure('ocsp-response-not-yet-valid', `thisUpdate ${single.thisUpdate.toISOString()}`), ...signedFields, ...times };
  }
  if (single.nextUpdate) {
    const nextUpdateMs = single.nextUpdate.getTime();
    if (Number.isNaN(nextUpdateMs) || nextUpdateMs < thisUpdateMs) {
      return { ...failure('ocsp-response-malformed', 'nextUpdate is invalid or before thisUpdate'), ...signedFields };
    }
    if (nextUpdateMs < nowMs - skewMs) {
      return { ...failure('ocsp-response-stale', `nextUpdate ${single.nextUpdate.toISOString()} has passed`), ...signedFields, ...times };
    }
  } else if (thisUpdateMs + maxAgeMs < nowMs - skewMs) {
    return {
      ...failure('ocsp-response-stale', `no nextUpdate and thisUpdate ${single.thisUpdate.toISOString()} is older than ${maxAgeMs / 1000} s`),
      ...signedFields,
      ...times,
    };
  }

  // 7. Nonce.
  if (input.nonce) {
    const echoed = echoedNonce(tbs.responseExtensions);
    if (echoed && !nonceMatches(echoed, input.nonce)) {
      return { ...failure('ocsp-nonce-mismatch', `sent ${toHex(input.nonce)}, got ${toHex(echoed)}`), ...signedFields, ...times };
    }
  }

  // 8. Status.
  const status = readCertStatus(single.certStatus);
  const delegatedDetail = signer.signedBy === 'delegated-responder' ? `signed by delegated responder ${signer.subject}` : undefined;
  switch (status.kind) {
    case 'good':
      return { status: 'good', reason: 'ocsp-good', ...signedFields, ...times, ...(delegatedDetail ? { detail: delegatedDetail } : {}) };
    case 'unknown':
      return { status: 'unknown', reason: 'ocsp-cert-unknown', ...signedFields, ...times, ...(delegatedDetail ? { detail: delegatedDetail } : {}) };
    case 'revoked':
      return {
        status: 'revoked',
        reason: 'ocsp-revoked',
        revokedAt: status.revokedAt,
        ...(status.revocationReason ? { revocationReason: status.revocationReason } : {}),
        ...signedFields,
        ...times,
        ...(delegatedDetail ? { detail: delegatedDetail } : {}),
      };
    case 'malformed':
      return { ...failure('ocsp-response-malformed', `certStatus: ${status.detail}`), ...signedFields };
  }
}

type SignerOutcome =
  | { readonly kind: 'authorised'; readonly signedBy: 'issuer'; readonly subject: string }
  | { readonly kind: 'authorised'; readonly signedBy: 'delegated-responder'; readonly noCheck: boolean; readonly subject: string }
  | { readonly kind: 'failed'; readonly reason: OcspFailureReason; readonly detail: string };

/**
 * Finds who signed the response (the responder id names it) and checks that it may: the issuing CA
 * itself, or a delegated responder certificate included in the response. Among several included
 * certificates that match the responder id, the first that passes every check wins; when none does,
 * the first one's failure is reported.
 */
function authoriseSigner(
  basic: pkijs.BasicOCSPResponse,
  includedDers: readonly Uint8Array[],
  issuer: pkijs.Certificate,
  issuerKey: SubjectPublicKeyInfo,
  nowMs: number,
  skewMs: number,
): SignerOutcome {
  const responderId: unknown = basic.tbsResponseData.responderID;
  if (responderIdNames(responderId, issuer)) {
    const signature = responseSignature(basic, issuerKey);
    return signature ?? { kind: 'authorised', signedBy: 'issuer', subject: describeName(issuer.subject) };
  }
  let firstFailure: SignerOutcome | undefined;
  for (const [index, candidate] of (basic.certs ?? []).entries()) {
    if (!responderIdNames(responderId, candidate)) continue;
    const outcome = checkDelegatedResponder(basic, candidate, includedDers[index], issuer, issuerKey, nowMs, skewMs);
    if (outcome.kind === 'authorised') return outcome;
    firstFailure ??= outcome;
  }
  return (
    firstFailure ?? {
      kind: 'failed',
      reason: 'ocsp-responder-id-mismatch',
      detail: `responder id names neither the issuer nor any of the ${basic.certs?.length ?? 0} included certificate(s)`,
    }
  );
}

function checkDelegatedResponder(
  basic: pkijs.BasicOCSPResponse,
  candidate: pkijs.Certificate,
  candidateDer: Uint8Array | undefined,
  issuer: pkijs.Certificate,
  issuerKey: SubjectPublicKeyInfo,
  nowMs: number,
  skewMs: number,
): SignerOutcome {
  const subject = describeName(candidate.subject);
  // certgate's own strict reader gives the exact signed bytes, the signature (unused bits refused) and the key.
  const parsed: ParsedCertificate | undefined = candidateDer ? parsedCertificate(candidateDer) : undefined;
  const issuedByCa =
    parsed !== undefined &&
    namesEqual(candidate.issuer, issuer.subject) &&
    verifySignature(parsed.tbsDer, parsed.signatureValue, parsed.signatureAlgorithm, issuerKey, OCSP_SIGNATURE_POLICY).ok;
  if (!parsed || !issuedByCa) {
    return { kind: 'failed', reason: 'ocsp-signer-not-issued-by-ca', detail: `${subject} is not signed by ${describeName(issuer.subject)}` };
  }
  const eku = candidate.extensions?.find((extension) => extension.extnID === ID_CE_EXT_KEY_USAGE);
  const ekuValue: unknown = eku ? safeParsedValue(eku) : undefined;
  if (!(ekuValue instanceof pkijs.ExtKeyUsage) || !ekuValue.keyPurposes.includes(ID_KP_OCSP_SIGNING)) {
    return { kind: 'failed', reason: 'ocsp-signer-missing-eku', detail: `${subject} lacks id-kp-OCSPSigning` };
  }
  const notBeforeMs = candidate.notBefore.value.getTime();
  const notAfterMs = candidate.notAfter.value.getTime();
  if (!(notBeforeMs - skewMs <= nowMs && nowMs <= notAfterMs + skewMs)) {
    return {
      kind: 'failed',
      reason: 'ocsp-signer-outside-validity',
      detail: `${subject} is valid ${candidate.notBefore.value.toISOString()} to ${candidate.notAfter.value.toISOString()}`,
    };
  }
  const signature = responseSignature(basic, parsed.subjectPublicKeyInfo);
  if (signature) return signature;
  const noCheck = candidate.extensions?.some((extension) => extension.extnID === ID_PKIX_OCSP_NOCHECK) ?? false;
  return { kind: 'authorised', signedBy: 'delegated-responder', noCheck, subject };
}

/** Undefined when the BasicOCSPResponse signature verifies with `key`, else the failure. */
function responseSignature(basic: pkijs.BasicOCSPResponse, key: SubjectPublicKeyInfo): Extract<SignerOutcome, { kind: 'failed' }> | undefined {
  const algorithmId = basic.signatureAlgorithm.algorithmId;
  const algorithm = algorithmIdentifierOf(basic.signatureAlgorithm);
  if (!algorithm) return { kind: 'failed', reason: 'ocsp-signature-algorithm-unsupported', detail: `signature algorithm ${algorithmId} is not DER` };
  // A signature is a whole number of octets; non-zero unused bits would make the encoding malleable.
  if (basic.signature.valueBlock.unusedBits !== 0) return { kind: 'failed', reason: 'ocsp-signature-invalid', detail: 'signature BIT STRING has unused bits' };
  const check = verifySignature(basic.tbsResponseData.tbsView, basic.signature.valueBlock.valueHexView, algorithm, key, OCSP_SIGNATURE_POLICY);
  if (check.ok) return undefined;
  // "weak" under a policy that allows SHA-1 and any RSA size means: an algorithm (or key type) certgate does not implement.
  const reason = isAlgorithmRefusal(check.reason) ? 'ocsp-signature-algorithm-unsupported' : 'ocsp-signature-invalid';
  return { kind: 'failed', reason, detail: `signature algorithm ${algorithmId}: ${check.detail}` };
}

/** The certificates a BasicOCSPResponse includes (`certs [0] EXPLICIT SEQUENCE OF Certificate`), as their original bytes. */
function includedCertificateDers(basicSchema: asn1js.AsnType): Uint8Array[] {
  const tagged = basicSchema instanceof asn1js.Sequence ? basicSchema.valueBlock.value[3] : undefined;
  const list = tagged instanceof asn1js.Constructed ? tagged.valueBlock.value[0] : undefined;
  if (!(list instanceof asn1js.Sequence)) return [];
  return list.valueBlock.value.map((certificate) => Uint8Array.from(certificate.valueBeforeDecodeView));
}

/** A certificate decoded by certgate's strict reader; undefined when it is not one. */
function parsedCertificate(der: Uint8Array): ParsedCertificate | undefined {
  const parsed = parseCertificateDer(der);
  return isCertificateParseFailure(parsed) ? undefined : parsed;
}

/** A pkijs AlgorithmIdentifier as certgate's (DER re-read); undefined when it does not encode as strict DER. */
function algorithmIdentifierOf(algorithm: pkijs.AlgorithmIdentifier): AlgorithmIdentifier | undefined {
  try {
    return decodeAlgorithmIdentifier(decodeDer(new Uint8Array(algorithm.toSchema().toBER(false))), 'signatureAlgorithm');
  } catch {
    return undefined;
  }
}

/** ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash (SHA-1 of the subjectPublicKey BIT STRING contents) }. */
function responderIdNames(responderId: unknown, certificate: pkijs.Certificate): boolean {
  if (responderId instanceof pkijs.RelativeDistinguishedNames) return namesEqual(responderId, certificate.subject);
  if (responderId instanceof asn1js.OctetString) {
    return bytesEqual(responderId.valueBlock.valueHexView, digest('sha1', issuerKeyBits(certificate)));
  }
  return false;
}

function certIdMatches(candidate: pkijs.CertID, ours: OcspCertId, issuer: pkijs.Certificate): boolean {
  if (!bytesEqual(candidate.serialNumber.valueBlock.valueHexView, ours.serialNumber)) return false;
  const algorithm = candidate.hashAlgorithm.algorithmId;
  const nameHash = candidate.issuerNameHash.valueBlock.valueHexView;
  const keyHash = candidate.issuerKeyHash.valueBlock.valueHexView;
  if (algorithm === HASH_OID[ours.hashAlgorithm]) return bytesEqual(nameHash, ours.issuerNameHash) && bytesEqual(keyHash, ours.issuerKeyHash);
  // Some responders answer with their own hash algorithm; recompute the issuer hashes under it.
  const nodeHash = NODE_HASH_BY_OID[algorithm];
  if (!nodeHash) return false;
  return bytesEqual(nameHash, digest(nodeHash, issuerNameDer(issuer))) && bytesEqual(keyHash, digest(nodeHash, issuerKeyBits(issuer)));
}

type CertStatus =
  | { readonly kind: 'good' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'revoked'; readonly revokedAt: Date; readonly revocationReason?: string }
  | { readonly kind: 'malformed'; readonly detail: string };

/** CertStatus ::= CHOICE { good [0] NULL, revoked [1] RevokedInfo, unknown [2] NULL }. */
function readCertStatus(certStatus: unknown): CertStatus {
  if (!(certStatus instanceof asn1js.BaseBlock) || certStatus.idBlock.tagClass !== 3) return { kind: 'malformed', detail: 'not a context tag' };
  switch (certStatus.idBlock.tagNumber) {
    case 0:
      return { kind: 'good' };
    case 2:
      return { kind: 'unknown' };
    case 1: {
      if (!(certStatus instanceof asn1js.Constructed)) return { kind: 'malformed', detail: 'revoked is not constructed' };
      const [time, reason] = certStatus.valueBlock.value;
      if (!(time instanceof asn1js.GeneralizedTime)) return { kind: 'malformed', detail: 'revocationTime missing' };
      const revokedAt = time.toDate();
      if (Number.isNaN(revokedAt.getTime())) return { kind: 'malformed', detail: 'revocationTime is not a valid time' };
      if (!reason) return { kind: 'revoked', revokedAt };
      const enumerated = reason instanceof asn1js.Constructed ? reason.valueBlock.value[0] : undefined;
      if (!(enumerated instanceof asn1js.Enumerated)) return { kind: 'malformed', detail: 'revocationReason is not [0] EXPLICIT ENUMERATED' };
      const code = enumerated.valueBlock.valueDec;
      return { kind: 'revoked', revokedAt, revocationReason: CRL_REASON_NAMES[code] ?? `unrecognised(${code})` };
    }
    default:
      return { kind: 'malformed', detail: `tag [${certStatus.idBlock.tagNumber}]` };
  }
}

function echoedNonce(extensions: pkijs.Extension[] | undefined): Uint8Array | undefined {
  const extension = extensions?.find((candidate) => candidate.extnID === ID_PKIX_OCSP_NONCE);
  return extension ? Uint8Array.from(extension.extnValue.valueBlock.valueHexView) : undefined;
}

/** RFC 8954: the nonce is an OCTET STRING inside extnValue; some responders put the raw octets there, accept both. */
function nonceMatches(echoed: Uint8Array, sent: Uint8Array): boolean {
  if (bytesEqual(echoed, sent)) return true;
  const inner = decodeExactly(echoed);
  return inner instanceof asn1js.OctetString && bytesEqual(inner.valueBlock.valueHexView, sent);
}

// ---------------------------------------------------------------------------------------------
// Small pieces

function failure(reason: OcspFailureReason, detail?: string): OcspVerdict {
  return { status: 'unknown', reason, ...(detail ? { detail } : {}) };
}

/** Decodes one BER value that spans the whole input (no trailing bytes); undefined otherwise. */
function decodeExactly(bytes: Uint8Array): asn1js.AsnType | undefined {
  if (bytes.byteLength === 0) return undefined;
  const decoded = asn1js.fromBER(bytes);
  if (decoded.offset === -1 || decoded.offset !== bytes.byteLength) return undefined;
  return decoded.result;
}

function construct<T>(make: () => T): T | undefined {
  try {
    return make();
  } catch {
    return undefined;
  }
}

function parseCertificate(der: Uint8Array): pkijs.Certificate | undefined {
  const schema = decodeExactly(der);
  return schema ? construct(() => new pkijs.Certificate({ schema })) : undefined;
}

function safeParsedValue(extension: pkijs.Extension): unknown {
  try {
    return extension.parsedValue as unknown;
  } catch {
    return undefined;
  }
}

function issuerNameDer(issuer: pkijs.Certificate): Uint8Array {
  return new Uint8Array(issuer.subject.valueBeforeDecode);
}

function issuerKeyBits(certificate: pkijs.Certificate): Uint8Array {
  return certificate.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView;
}

function namesEqual(a: pkijs.RelativeDistinguishedNames, b: pkijs.RelativeDistinguishedNames): boolean {
  if (a.valueBeforeDecode.byteLength > 0 && bytesEqual(new Uint8Array(a.valueBeforeDecode), new Uint8Array(b.valueBeforeDecode))) return true;
  try {
    return a.isEqual(b);
  } catch {
    return false;
  }
}

const NAME_ATTRIBUTE_LABELS: Readonly<Record<string, string>> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C' };

function describeName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((attribute) => {
      const value: unknown = attribute.value.valueBlock.value;
      return `${NAME_ATTRIBUTE_LABELS[attribute.type] ?? attribute.type}=${typeof value === 'string' ? value : '?'}`;
    })
    .join(', ');
}

function digest(algorithm: string, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(data).digest());
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let index = 0; index < a.byteLength; index++) if (a[index] !== b[index]) return false;
  return true;
}

function serialHexOf(serial: Uint8Array): string {
  let start = 0;
  while (start < serial.byteLength - 1 && serial[start] === 0) start++;
  return toHex(serial.subarray(start));
}
