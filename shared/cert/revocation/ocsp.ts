/**
 * OCSP (RFC 6960) for certgate's revocation checks, the pure part: where to ask (AIA id-ad-ocsp),
 * what to ask (an OCSPRequest with a CertID and an optional nonce, RFC 8954), and what the answer
 * means (a verified, fresh SingleResponse for our CertID, or a failure with its own reason code).
 * No I/O, no clock: `now` is an argument. Everything is read with certgate's one ASN.1 reader, the
 * strict DER decoder of ../x509/derNodes.js that certificates and CRLs go through too: the response,
 * the issuer and the delegated responder certificates (as ParsedCertificate; callers that hold the
 * issuer parsed already pass it and it is not parsed again). Every signature is checked by the
 * validator's `verifySignature` (node:crypto), under {@link OCSP_SIGNATURE_POLICY}.
 *
 * Strict DER, as for certificates: BER-only encodings (indefinite or non-minimal lengths, a DEFAULT
 * value written out, a non-empty NULL, an explicit critical FALSE, a non-minimal INTEGER or
 * ENUMERATED, trailing bytes or fields) make a response `ocsp-response-malformed`, even when the
 * signature over those bytes verifies. Times are GeneralizedTime in UTC (`Z`) with seconds; the
 * fractional seconds DER allows are kept. (pkijs, used here before, accepted all of those, and read
 * a time without `Z` in the host's time zone.)
 *
 * The request is written with ../x509/derWriter.js rather than pkijs: it has one fixed shape
 * (SEQUENCE, OID, OCTET STRING, INTEGER, NULL, explicit tags), and pkijs' only remaining use would
 * have kept a second ASN.1 stack loaded for it (loading pkijs/asn1js was most of this module's
 * first-import time, measured by bench/ocsp.ts). The tests compare the bytes with pkijs' request.
 *
 * {@link evaluateOcspResponse} runs its checks in this fixed order and stops at the first failure:
 *  1. OCSPResponse parses, responseStatus is successful, responseBytes are id-pkix-ocsp-basic and the
 *     BasicOCSPResponse parses (with every SingleResponse and every included certificate);
 *  2. the issuer certificate parses and its key loads;
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
 * May import: node:crypto, ./ocspReasons.js, ../x509/*, ../validation/signatureVerification.js.
 */
import { createHash } from 'node:crypto';
import { isAlgorithmRefusal, verifySignature, type AlgorithmPolicy } from '../validation/signatureVerification.js';
import { readTime } from '../x509/asn1Time.js';
import {
  decodeAlgorithmIdentifier,
  isCertificateParseFailure,
  parseCertificateDer,
  type AlgorithmIdentifier,
  type ParsedCertificate,
  type SubjectPublicKeyInfo,
} from '../x509/certificate.js';
import {
  DerStructureError,
  UniversalTag,
  decodeDer,
  expectUniversal,
  integerContent,
  isContextTag,
  readAsciiContent,
  readBoolean,
  readObjectIdentifier,
  toHex,
  type DerNode,
} from '../x509/derNodes.js';
import {
  encodeExplicit,
  encodeIntegerContent,
  encodeNull,
  encodeObjectIdentifier,
  encodeOctetString,
  encodeSequence,
} from '../x509/derWriter.js';
import { decodeDistinguishedName, type DistinguishedName } from '../x509/names.js';
import { ExtendedKeyUsageOid } from '../x509/oids.js';
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

/**
 * The issuing CA of the certificate being checked: its DER, or the certificate already parsed by
 * certgate's X.509 reader (from the validated path), which is then used as it is.
 */
export type OcspIssuerInput =
  | { readonly issuerDer: Uint8Array; readonly issuer?: undefined }
  | { readonly issuer: ParsedCertificate; readonly issuerDer?: undefined };

/** The certificate being checked: its DER, or the certificate already parsed. */
export type OcspCertificateInput =
  | { readonly certDer: Uint8Array; readonly certificate?: undefined }
  | { readonly certificate: ParsedCertificate; readonly certDer?: undefined };

/** Inputs of {@link evaluateOcspResponse}. */
export type OcspEvaluationInput = OcspIssuerInput & {
  readonly responseDer: Uint8Array;
  readonly certId: OcspCertId;
  readonly now: Date;
  /** The nonce we sent, if any. */
  readonly nonce?: Uint8Array;
  /** Maximum age of thisUpdate when the response has no nextUpdate. Default {@link DEFAULT_OCSP_MAX_AGE_SECONDS}. */
  readonly maxAgeSeconds?: number;
  /** Tolerance for clocks on every time comparison. Default {@link DEFAULT_OCSP_CLOCK_SKEW_SECONDS}. */
  readonly clockSkewSeconds?: number;
};

/** Inputs of {@link buildOcspRequest}. */
export type OcspRequestInput = OcspCertificateInput &
  OcspIssuerInput & {
    /** 1–32 octets (RFC 8954), sent as the id-pkix-ocsp-nonce request extension. */
    readonly nonce?: Uint8Array;
    /** Default SHA-1, which every responder must support. */
    readonly hashAlgorithm?: OcspHashAlgorithm;
  };

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
export type OcspRequestErrorCode =
  'ocsp-request-certificate-malformed' | 'ocsp-request-issuer-malformed' | 'ocsp-request-nonce-invalid';

/** Thrown by {@link buildOcspRequest} when its input is unusable. */
export class OcspRequestError extends CertgateError {
  constructor(
    readonly code: OcspRequestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OcspRequestError';
  }
}

const ID_PKIX_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const ID_PKIX_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const ID_PKIX_OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';

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
  const certificate = parsedCertificate(certDer);
  const urls: string[] = [];
  for (const location of certificate?.extensions.authorityInfoAccess?.ocsp ?? []) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      continue;
    }
    if ((url.protocol === 'http:' || url.protocol === 'https:') && !urls.includes(location)) urls.push(location);
  }
  return urls;
}

// ---------------------------------------------------------------------------------------------
// What to ask

/**
 * Builds a DER OCSPRequest for the certificate, issued by the issuer (from the validated path: its
 * subject name and key go into the CertID); either may be given as DER or already parsed.
 * `nonce` (1–32 octets, RFC 8954) is sent as the id-pkix-ocsp-nonce request extension; pass fresh
 * random bytes to defeat replay, or none to allow responders and CDNs to serve cached responses.
 * Throws {@link OcspRequestError} on unusable input.
 */
export function buildOcspRequest(input: OcspRequestInput): OcspRequest {
  const certificate = input.certificate ?? parsedCertificate(input.certDer);
  if (!certificate)
    throw new OcspRequestError('ocsp-request-certificate-malformed', 'the certificate is not a DER X.509 certificate');
  const issuer = input.issuer ?? parsedCertificate(input.issuerDer);
  if (!issuer) throw new OcspRequestError('ocsp-request-issuer-malformed', 'the issuer is not a DER X.509 certificate');
  const nonce = input.nonce;
  if (nonce && (nonce.byteLength < 1 || nonce.byteLength > 32)) {
    throw new OcspRequestError(
      'ocsp-request-nonce-invalid',
      `a nonce has 1 to 32 octets (RFC 8954), got ${nonce.byteLength}`,
    );
  }
  const hashAlgorithm = input.hashAlgorithm ?? 'SHA-1';
  const nodeHash = NODE_HASH_BY_OID[HASH_OID[hashAlgorithm]] ?? 'sha1';
  const serialNumber = Uint8Array.from(Buffer.from(certificate.serialNumber, 'hex'));
  const certId: OcspCertId = {
    hashAlgorithm,
    issuerNameHash: digest(nodeHash, issuer.subject.der),
    issuerKeyHash: digest(nodeHash, issuer.subjectPublicKeyInfo.keyBytes),
    serialNumber,
    serialHex: serialHexOf(serialNumber),
  };
  // OCSPRequest { TBSRequest { requestList { Request { CertID } }, [2] requestExtensions { nonce } } }; v1 and no
  // signature.
  const certIdDer = encodeSequence(
    encodeSequence(encodeObjectIdentifier(HASH_OID[hashAlgorithm]), encodeNull()),
    encodeOctetString(certId.issuerNameHash),
    encodeOctetString(certId.issuerKeyHash),
    encodeIntegerContent(serialNumber),
  );
  const requestList = encodeSequence(encodeSequence(certIdDer));
  const extensions = nonce
    ? [
        encodeExplicit(
          2,
          encodeSequence(
            encodeSequence(encodeObjectIdentifier(ID_PKIX_OCSP_NONCE), encodeOctetString(encodeOctetString(nonce))),
          ),
        ),
      ]
    : [];
  const der = encodeSequence(encodeSequence(requestList, ...extensions));
  return { der, certId, ...(nonce ? { nonce: Uint8Array.from(nonce) } : {}) };
}

/** A stable string for a CertID (hash algorithm, both hashes, serial), for caches keyed by certificate. */
export function ocspCertIdKey(certId: OcspCertId): string {
  return [
    certId.hashAlgorithm,
    toHex(certId.issuerNameHash),
    toHex(certId.issuerKeyHash),
    toHex(certId.serialNumber),
  ].join(':');
}

// ---------------------------------------------------------------------------------------------
// The response, as read from its DER

/** One extension of a response or SingleResponse. */
interface OcspExtension {
  readonly critical: boolean;
  /** The extnValue OCTET STRING's content. */
  readonly value: Uint8Array;
}

type ResponderId =
  | { readonly kind: 'byName'; readonly name: DistinguishedName }
  | { readonly kind: 'byKey'; readonly keyHash: Uint8Array };

/**
 * CertID ::= SEQUENCE { hashAlgorithm, issuerNameHash OCTET STRING, issuerKeyHash OCTET STRING, serialNumber INTEGER }.
 */
interface ResponseCertId {
  readonly hashAlgorithm: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  readonly serialNumber: Uint8Array;
}

interface SingleResponse {
  readonly certId: ResponseCertId;
  /** CertStatus, read only for our SingleResponse (step 8). */
  readonly certStatus: DerNode;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
}

/** A BasicOCSPResponse whose every field is read (the status of the SingleResponses excepted). */
interface BasicResponse {
  /** The DER of ResponseData, which the signature covers. */
  readonly tbsDer: Uint8Array;
  readonly responderId: ResponderId;
  readonly producedAt: Date;
  readonly responses: readonly SingleResponse[];
  readonly extensions: ReadonlyMap<string, OcspExtension>;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  /** The signature BIT STRING's content, unused-bits octet first (non-zero is refused at step 4). */
  readonly signature: Uint8Array;
  readonly certificates: readonly ParsedCertificate[];
}

/**
 * Reads the OCSPResponse envelope and, when successful and basic, the BasicOCSPResponse; a failure verdict otherwise.
 * Throws DerStructureError.
 */
function readResponse(responseDer: Uint8Array): BasicResponse | OcspVerdict {
  let outer: DerNode;
  try {
    outer = decodeDer(responseDer);
  } catch (error) {
    return failure('ocsp-response-malformed', `not a single DER value: ${messageOf(error)}`);
  }
  // OCSPResponse ::= SEQUENCE { responseStatus ENUMERATED, responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
  expectUniversal(outer, UniversalTag.sequence, 'OCSPResponse');
  const [statusNode, bytesWrapper, ...extra] = outer.children;
  if (extra.length > 0 || (bytesWrapper && !isContextTag(bytesWrapper, 0)))
    throw new DerStructureError('OCSPResponse: unexpected field');
  const responseStatus = readEnumerated(statusNode, 'responseStatus');
  // ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
  const responseBytes = bytesWrapper ? explicitContent(bytesWrapper, 'responseBytes') : undefined;
  const responseBytesFields = responseBytes
    ? expectUniversal(responseBytes, UniversalTag.sequence, 'responseBytes').children
    : [];
  if (responseBytes && responseBytesFields.length !== 2) throw new DerStructureError('responseBytes: arity');
  const responseType = responseBytes ? readObjectIdentifier(responseBytesFields[0], 'responseType') : undefined;
  const response = responseBytes
    ? expectUniversal(responseBytesFields[1], UniversalTag.octetString, 'response').content
    : undefined;

  if (responseStatus !== 0) {
    return failure(
      RESPONSE_STATUS_FAILURES[responseStatus] ?? 'ocsp-responder-unknown-status',
      `responseStatus ${responseStatus}`,
    );
  }
  if (responseType === undefined || response === undefined)
    return failure('ocsp-response-malformed', 'successful response without responseBytes');
  if (responseType !== ID_PKIX_OCSP_BASIC) return failure('ocsp-response-not-basic', `responseType ${responseType}`);
  let basic: DerNode;
  try {
    basic = decodeDer(response);
  } catch (error) {
    return failure('ocsp-response-malformed', `responseBytes do not hold a single DER value: ${messageOf(error)}`);
  }
  return readBasicResponse(basic);
}

/**
 * BasicOCSPResponse ::= SEQUENCE { tbsResponseData, signatureAlgorithm, signature BIT STRING, certs [0] EXPLICIT
 * SEQUENCE OF Certificate OPTIONAL }.
 */
function readBasicResponse(node: DerNode): BasicResponse {
  expectUniversal(node, UniversalTag.sequence, 'BasicOCSPResponse');
  const [tbsNode, algorithmNode, signatureNode, certsWrapper, ...extra] = node.children;
  if (extra.length > 0 || (certsWrapper && !isContextTag(certsWrapper, 0)))
    throw new DerStructureError('BasicOCSPResponse: unexpected field');
  const tbs = readResponseData(expectUniversal(tbsNode, UniversalTag.sequence, 'tbsResponseData'));
  const signatureAlgorithm = decodeAlgorithmIdentifier(algorithmNode, 'signatureAlgorithm');
  const signature = expectUniversal(signatureNode, UniversalTag.bitString, 'signature').content;
  if (signature.byteLength === 0) throw new DerStructureError('signature: empty BIT STRING');
  const certificates = certsWrapper
    ? expectUniversal(explicitContent(certsWrapper, 'certs'), UniversalTag.sequence, 'certs').children.map(
        (certificateNode, index) => {
          const certificate = parseCertificateDer(certificateNode.encoded);
          if (isCertificateParseFailure(certificate))
            throw new DerStructureError(`included certificate ${index + 1}: ${certificate.detail}`);
          return certificate;
        },
      )
    : [];
  return { ...tbs, signatureAlgorithm, signature, certificates };
}

/**
 * ResponseData ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, responderID ResponderID,
 * producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse, responseExtensions [1] EXPLICIT Extensions OPTIONAL
 * }.
 */
function readResponseData(node: DerNode): Omit<BasicResponse, 'signatureAlgorithm' | 'signature' | 'certificates'> {
  const fields = [...node.children];
  if (isContextTag(fields[0], 0)) {
    // v1 is the only version; DER leaves a DEFAULT value out.
    const version = readEnumeratedContent(
      expectUniversal(explicitContent(fields[0], 'version'), UniversalTag.integer, 'version').content,
      'version',
    );
    throw new DerStructureError(version === 0 ? 'version: explicit default v1' : `version: unknown v${version + 1}`);
  }
  const responderId = readResponderId(fields.shift());
  const producedAt = readGeneralizedTime(fields.shift(), 'producedAt');
  const responses = expectUniversal(fields.shift(), UniversalTag.sequence, 'responses').children.map(
    readSingleResponse,
  );
  const extensionsWrapper = fields.shift();
  if (fields.length > 0 || (extensionsWrapper && !isContextTag(extensionsWrapper, 1)))
    throw new DerStructureError('ResponseData: unexpected field');
  const extensions = extensionsWrapper
    ? readExtensions(explicitContent(extensionsWrapper, 'responseExtensions'), 'responseExtensions')
    : new Map<string, OcspExtension>();
  return { tbsDer: node.encoded, responderId, producedAt, responses, extensions };
}

/** ResponderID ::= CHOICE { byName [1] EXPLICIT Name, byKey [2] EXPLICIT KeyHash (OCTET STRING) }. */
function readResponderId(node: DerNode | undefined): ResponderId {
  if (isContextTag(node, 1))
    return { kind: 'byName', name: decodeDistinguishedName(explicitContent(node, 'responderID byName')) };
  if (isContextTag(node, 2))
    return {
      kind: 'byKey',
      keyHash: expectUniversal(
        explicitContent(node, 'responderID byKey'),
        UniversalTag.octetString,
        'responderID byKey',
      ).content,
    };
  throw new DerStructureError('responderID: neither byName nor byKey');
}

/**
 * SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate GeneralizedTime,
 * nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, singleExtensions [1] EXPLICIT Extensions OPTIONAL }.
 */
function readSingleResponse(node: DerNode): SingleResponse {
  const fields = [...expectUniversal(node, UniversalTag.sequence, 'SingleResponse').children];
  const certIdNode = expectUniversal(fields.shift(), UniversalTag.sequence, 'certID');
  if (certIdNode.children.length !== 4) throw new DerStructureError('certID: arity');
  const [algorithmNode, nameHashNode, keyHashNode, serialNode] = certIdNode.children;
  const certId: ResponseCertId = {
    hashAlgorithm: decodeAlgorithmIdentifier(algorithmNode, 'certID hashAlgorithm').oid,
    issuerNameHash: expectUniversal(nameHashNode, UniversalTag.octetString, 'issuerNameHash').content,
    issuerKeyHash: expectUniversal(keyHashNode, UniversalTag.octetString, 'issuerKeyHash').content,
    serialNumber: integerContent(
      expectUniversal(serialNode, UniversalTag.integer, 'serialNumber').content,
      'serialNumber',
    ),
  };
  const certStatus = fields.shift();
  if (certStatus === undefined) throw new DerStructureError('certStatus: missing');
  const thisUpdate = readGeneralizedTime(fields.shift(), 'thisUpdate');
  let nextUpdate: Date | undefined;
  if (isContextTag(fields[0], 0))
    nextUpdate = readGeneralizedTime(explicitContent(fields.shift(), 'nextUpdate'), 'nextUpdate');
  if (isContextTag(fields[0], 1))
    readExtensions(explicitContent(fields.shift(), 'singleExtensions'), 'singleExtensions');
  if (fields.length > 0) throw new DerStructureError('SingleResponse: unexpected field');
  return { certId, certStatus, thisUpdate, nextUpdate };
}

/**
 * Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING
 * }, each OID once.
 */
function readExtensions(node: DerNode, what: string): ReadonlyMap<string, OcspExtension> {
  const list = expectUniversal(node, UniversalTag.sequence, what).children;
  if (list.length === 0) throw new DerStructureError(`${what}: empty`);
  const extensions = new Map<string, OcspExtension>();
  for (const extension of list) {
    const fields = expectUniversal(extension, UniversalTag.sequence, `${what} extension`).children;
    const id = readObjectIdentifier(fields[0], `${what} extnID`);
    const hasCritical = fields.length === 3;
    if (fields.length !== 2 && !hasCritical) throw new DerStructureError(`${what} ${id}: arity`);
    const critical = hasCritical && readBoolean(fields[1], `${what} ${id} critical`);
    if (hasCritical && !critical) throw new DerStructureError(`${what} ${id}: explicit critical FALSE`);
    if (extensions.has(id)) throw new DerStructureError(`${what}: duplicate extension ${id}`);
    extensions.set(id, {
      critical,
      value: expectUniversal(fields[hasCritical ? 2 : 1], UniversalTag.octetString, `${what} ${id} extnValue`).content,
    });
  }
  return extensions;
}

// ---------------------------------------------------------------------------------------------
// What the answer means

/**
 * Evaluates a DER OCSPResponse for the certificate identified by `certId`, issued by the issuer
 * (DER or already parsed), at `now`. Runs the checks listed in this module's header, in that order;
 * never throws.
 */
export function evaluateOcspResponse(input: OcspEvaluationInput): OcspVerdict {
  try {
    return evaluate(input);
  } catch (error) {
    if (error instanceof DerStructureError) return failure('ocsp-response-malformed', error.message);
    return failure('ocsp-response-malformed', `unexpected structure: ${messageOf(error)}`);
  }
}

function evaluate(input: OcspEvaluationInput): OcspVerdict {
  const skewMs = (input.clockSkewSeconds ?? DEFAULT_OCSP_CLOCK_SKEW_SECONDS) * 1000;
  const maxAgeMs = (input.maxAgeSeconds ?? DEFAULT_OCSP_MAX_AGE_SECONDS) * 1000;
  const nowMs = input.now.getTime();

  // 1. Envelope and BasicOCSPResponse.
  const basic = readResponse(input.responseDer);
  if ('reason' in basic) return basic;

  // 2. Issuer.
  const issuer = input.issuer ?? parsedCertificate(input.issuerDer);
  if (!issuer) return failure('ocsp-issuer-malformed', 'the issuer is not a DER X.509 certificate');
  if (!issuer.subjectPublicKeyInfo.publicKey())
    return failure('ocsp-issuer-malformed', 'the issuer public key cannot be loaded');

  // 3–4. Signer and signature.
  const signer = authoriseSigner(basic, issuer, nowMs, skewMs);
  if (signer.kind === 'failed') return failure(signer.reason, signer.detail);
  const signedFields = {
    signedBy: signer.signedBy,
    ...(signer.signedBy === 'delegated-responder' ? { responderNoCheck: signer.noCheck } : {}),
    producedAt: basic.producedAt,
  };

  // 5. Our SingleResponse.
  const single = basic.responses.find((candidate) => certIdMatches(candidate.certId, input.certId, issuer));
  if (!single)
    return {
      ...failure(
        'ocsp-cert-id-not-found',
        `${basic.responses.length} SingleResponse(s), none for serial ${input.certId.serialHex}`,
      ),
      ...signedFields,
    };
  const times = {
    thisUpdate: single.thisUpdate,
    ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}),
  };

  // 6. Time window.
  const thisUpdateMs = single.thisUpdate.getTime();
  if (thisUpdateMs > nowMs + skewMs) {
    return {
      ...failure('ocsp-response-not-yet-valid', `thisUpdate ${single.thisUpdate.toISOString()}`),
      ...signedFields,
      ...times,
    };
  }
  if (single.nextUpdate) {
    const nextUpdateMs = single.nextUpdate.getTime();
    if (nextUpdateMs < thisUpdateMs)
      return { ...failure('ocsp-response-malformed', 'nextUpdate is before thisUpdate'), ...signedFields };
    if (nextUpdateMs < nowMs - skewMs) {
      return {
        ...failure('ocsp-response-stale', `nextUpdate ${single.nextUpdate.toISOString()} has passed`),
        ...signedFields,
        ...times,
      };
    }
  } else if (thisUpdateMs + maxAgeMs < nowMs - skewMs) {
    return {
      ...failure(
        'ocsp-response-stale',
        `no nextUpdate and thisUpdate ${single.thisUpdate.toISOString()} is older than ${maxAgeMs / 1000} s`,
      ),
      ...signedFields,
      ...times,
    };
  }

  // 7. Nonce.
  if (input.nonce) {
    const echoed = basic.extensions.get(ID_PKIX_OCSP_NONCE)?.value;
    if (echoed && !nonceMatches(echoed, input.nonce)) {
      return {
        ...failure('ocsp-nonce-mismatch', `sent ${toHex(input.nonce)}, got ${toHex(echoed)}`),
        ...signedFields,
        ...times,
      };
    }
  }

  // 8. Status.
  const status = readCertStatus(single.certStatus);
  const delegatedDetail =
    signer.signedBy === 'delegated-responder' ? `signed by delegated responder ${signer.subject}` : undefined;
  switch (status.kind) {
    case 'good':
      return {
        status: 'good',
        reason: 'ocsp-good',
        ...signedFields,
        ...times,
        ...(delegatedDetail ? { detail: delegatedDetail } : {}),
      };
    case 'unknown':
      return {
        status: 'unknown',
        reason: 'ocsp-cert-unknown',
        ...signedFields,
        ...times,
        ...(delegatedDetail ? { detail: delegatedDetail } : {}),
      };
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
  | {
      readonly kind: 'authorised';
      readonly signedBy: 'delegated-responder';
      readonly noCheck: boolean;
      readonly subject: string;
    }
  | { readonly kind: 'failed'; readonly reason: OcspFailureReason; readonly detail: string };

/**
 * Finds who signed the response (the responder id names it) and checks that it may: the issuing CA
 * itself, or a delegated responder certificate included in the response. Among several included
 * certificates that match the responder id, the first that passes every check wins; when none does,
 * the first one's failure is reported.
 */
function authoriseSigner(
  basic: BasicResponse,
  issuer: ParsedCertificate,
  nowMs: number,
  skewMs: number,
): SignerOutcome {
  if (responderIdNames(basic.responderId, issuer)) {
    const signature = responseSignature(basic, issuer.subjectPublicKeyInfo);
    return signature ?? { kind: 'authorised', signedBy: 'issuer', subject: issuer.subject.text };
  }
  let firstFailure: SignerOutcome | undefined;
  for (const candidate of basic.certificates) {
    if (!responderIdNames(basic.responderId, candidate)) continue;
    const outcome = checkDelegatedResponder(basic, candidate, issuer, nowMs, skewMs);
    if (outcome.kind === 'authorised') return outcome;
    firstFailure ??= outcome;
  }
  return (
    firstFailure ?? {
      kind: 'failed',
      reason: 'ocsp-responder-id-mismatch',
      detail: `responder id names neither the issuer nor any of the ${basic.certificates.length} included certificate(s)`,
    }
  );
}

function checkDelegatedResponder(
  basic: BasicResponse,
  candidate: ParsedCertificate,
  issuer: ParsedCertificate,
  nowMs: number,
  skewMs: number,
): SignerOutcome {
  const subject = candidate.subject.text;
  const issuedByCa =
    namesEqual(candidate.issuer, issuer.subject) &&
    verifySignature(
      candidate.tbsDer,
      candidate.signatureValue,
      candidate.signatureAlgorithm,
      issuer.subjectPublicKeyInfo,
      OCSP_SIGNATURE_POLICY,
    ).ok;
  if (!issuedByCa) {
    return {
      kind: 'failed',
      reason: 'ocsp-signer-not-issued-by-ca',
      detail: `${subject} is not signed by ${issuer.subject.text}`,
    };
  }
  if (!candidate.extensions.extKeyUsage?.purposes.includes(ExtendedKeyUsageOid.ocspSigning)) {
    return { kind: 'failed', reason: 'ocsp-signer-missing-eku', detail: `${subject} lacks id-kp-OCSPSigning` };
  }
  const notBeforeMs = candidate.notBefore.getTime();
  const notAfterMs = candidate.notAfter.getTime();
  if (!(notBeforeMs - skewMs <= nowMs && nowMs <= notAfterMs + skewMs)) {
    return {
      kind: 'failed',
      reason: 'ocsp-signer-outside-validity',
      detail: `${subject} is valid ${candidate.notBefore.toISOString()} to ${candidate.notAfter.toISOString()}`,
    };
  }
  const signature = responseSignature(basic, candidate.subjectPublicKeyInfo);
  if (signature) return signature;
  const noCheck = candidate.extensions.present.some((extension) => extension.oid === ID_PKIX_OCSP_NOCHECK);
  return { kind: 'authorised', signedBy: 'delegated-responder', noCheck, subject };
}

/** Undefined when the BasicOCSPResponse signature verifies with `key`, else the failure. */
function responseSignature(
  basic: BasicResponse,
  key: SubjectPublicKeyInfo,
): Extract<SignerOutcome, { kind: 'failed' }> | undefined {
  const algorithm = basic.signatureAlgorithm;
  // A signature is a whole number of octets; non-zero unused bits would make the encoding malleable.
  if (basic.signature[0] !== 0)
    return { kind: 'failed', reason: 'ocsp-signature-invalid', detail: 'signature BIT STRING has unused bits' };
  const check = verifySignature(basic.tbsDer, basic.signature.subarray(1), algorithm, key, OCSP_SIGNATURE_POLICY);
  if (check.ok) return undefined;
  // "weak" under a policy that allows SHA-1 and any RSA size means: an algorithm (or key type) certgate does not
  // implement.
  const reason = isAlgorithmRefusal(check.reason) ? 'ocsp-signature-algorithm-unsupported' : 'ocsp-signature-invalid';
  return { kind: 'failed', reason, detail: `signature algorithm ${algorithm.oid}: ${check.detail}` };
}

/**
 * Whether the responder id names `certificate`: its subject (byName), or the SHA-1 of its subjectPublicKey bits
 * (byKey).
 */
function responderIdNames(responderId: ResponderId, certificate: ParsedCertificate): boolean {
  if (responderId.kind === 'byName') return namesEqual(responderId.name, certificate.subject);
  return bytesEqual(responderId.keyHash, digest('sha1', certificate.subjectPublicKeyInfo.keyBytes));
}

function certIdMatches(candidate: ResponseCertId, ours: OcspCertId, issuer: ParsedCertificate): boolean {
  if (!bytesEqual(candidate.serialNumber, ours.serialNumber)) return false;
  const { hashAlgorithm, issuerNameHash, issuerKeyHash } = candidate;
  if (hashAlgorithm === HASH_OID[ours.hashAlgorithm])
    return bytesEqual(issuerNameHash, ours.issuerNameHash) && bytesEqual(issuerKeyHash, ours.issuerKeyHash);
  // Some responders answer with their own hash algorithm; recompute the issuer hashes under it.
  const nodeHash = NODE_HASH_BY_OID[hashAlgorithm];
  if (!nodeHash) return false;
  return (
    bytesEqual(issuerNameHash, digest(nodeHash, issuer.subject.der)) &&
    bytesEqual(issuerKeyHash, digest(nodeHash, issuer.subjectPublicKeyInfo.keyBytes))
  );
}

type CertStatus =
  | { readonly kind: 'good' }
  | { readonly kind: 'unknown' }
  | { readonly kind: 'revoked'; readonly revokedAt: Date; readonly revocationReason?: string }
  | { readonly kind: 'malformed'; readonly detail: string };

/**
 * CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL };
 * RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }.
 */
function readCertStatus(certStatus: DerNode): CertStatus {
  if (certStatus.tagClass !== 'context') return { kind: 'malformed', detail: 'not a context tag' };
  switch (certStatus.tag) {
    case 0:
    case 2:
      if (certStatus.constructed || certStatus.content.byteLength > 0)
        return { kind: 'malformed', detail: `[${certStatus.tag}] is not an empty NULL` };
      return { kind: certStatus.tag === 0 ? 'good' : 'unknown' };
    case 1: {
      if (!certStatus.constructed) return { kind: 'malformed', detail: 'revoked is not constructed' };
      const [time, reason, ...extra] = certStatus.children;
      if (time?.tagClass !== 'universal' || time.tag !== UniversalTag.generalizedTime)
        return { kind: 'malformed', detail: 'revocationTime missing' };
      try {
        const revokedAt = readGeneralizedTime(time, 'revocationTime');
        if (extra.length > 0 || (reason && !isContextTag(reason, 0)))
          return { kind: 'malformed', detail: 'RevokedInfo: unexpected field' };
        if (!reason) return { kind: 'revoked', revokedAt };
        const code = readEnumerated(explicitContent(reason, 'revocationReason'), 'revocationReason');
        return { kind: 'revoked', revokedAt, revocationReason: CRL_REASON_NAMES[code] ?? `unrecognised(${code})` };
      } catch (error) {
        return { kind: 'malformed', detail: messageOf(error) };
      }
    }
    default:
      return { kind: 'malformed', detail: `tag [${certStatus.tag}]` };
  }
}

/** RFC 8954: the nonce is an OCTET STRING inside extnValue; some responders put the raw octets there, accept both. */
function nonceMatches(echoed: Uint8Array, sent: Uint8Array): boolean {
  if (bytesEqual(echoed, sent)) return true;
  try {
    const inner = decodeDer(echoed);
    return inner.tagClass === 'universal' && inner.tag === UniversalTag.octetString && bytesEqual(inner.content, sent);
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Small pieces

function failure(reason: OcspFailureReason, detail?: string): OcspVerdict {
  return { status: 'unknown', reason, ...(detail ? { detail } : {}) };
}

/** A certificate decoded by certgate's strict reader; undefined when it is not one (or not given). */
function parsedCertificate(der: Uint8Array | undefined): ParsedCertificate | undefined {
  if (!der) return undefined;
  const parsed = parseCertificateDer(der);
  return isCertificateParseFailure(parsed) ? undefined : parsed;
}

/** The single value inside an EXPLICIT context tag. */
function explicitContent(node: DerNode | undefined, what: string): DerNode {
  const inner = node?.constructed && node.children.length === 1 ? node.children[0] : undefined;
  if (!inner) throw new DerStructureError(`${what}: not an explicit tag around one value`);
  return inner;
}

/** An ENUMERATED (or INTEGER content) as a number, minimally encoded, negative values included. */
function readEnumerated(node: DerNode | undefined, what: string): number {
  return readEnumeratedContent(expectUniversal(node, UniversalTag.enumerated, what).content, what);
}

function readEnumeratedContent(content: Uint8Array, what: string): number {
  integerContent(content, what);
  if (content.byteLength > 4) throw new DerStructureError(`${what}: value too large`);
  let value = 0;
  for (const byte of content) value = value * 256 + byte;
  return (content[0] ?? 0) & 0x80 ? value - 2 ** (8 * content.byteLength) : value;
}

const GENERALIZED_TIME_FRACTION = /^(\d{14})\.(\d*[1-9])Z$/u;

/**
 * A GeneralizedTime in the DER form (UTC `Z`, seconds present): the RFC 5280 profile of ../x509/asn1Time.js,
 * plus the fractional seconds X.690 §11.7 allows (no trailing zeros), which responders may send; kept to the
 * millisecond.
 */
function readGeneralizedTime(node: DerNode | undefined, what: string): Date {
  const time = expectUniversal(node, UniversalTag.generalizedTime, what);
  const fraction = GENERALIZED_TIME_FRACTION.exec(readAsciiContent(time.content));
  if (!fraction) return readTime(time, what);
  const whole = readTime({ ...time, content: new TextEncoder().encode(`${fraction[1] ?? ''}Z`) }, what);
  return new Date(whole.getTime() + Number((fraction[2] ?? '').slice(0, 3).padEnd(3, '0')));
}

/** Names match byte for byte or under the RFC 5280 §7.1 comparison (as the path builder chains them). */
function namesEqual(a: DistinguishedName, b: DistinguishedName): boolean {
  return bytesEqual(a.der, b.der) || a.normalized === b.normalized;
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
