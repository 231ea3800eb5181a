/**
 * Certificate path validation with path building: from the leaf, through untrusted
 * intermediates (as forwarded by the gateway) to any trust anchor. Candidate issuers are found by
 * normalised name (AKI/SKI matches first, anchors before intermediates); every candidate path is
 * validated in full (./pathValidation.js) and the first valid one wins. Loops are cut (no
 * certificate — same name and key — twice in a path), depth and work are bounded. When no path
 * is valid the most relevant failure is reported: a path that reached an anchor beats a broken
 * signature, which beats a depth overrun, which beats "untrusted". Under the client-certificate
 * leaf profile (the default) a leaf that is a CA — cA TRUE, keyCertSign, or a trust anchor itself
 * — is refused right after parsing, before any path is built (./certificateProfile.js).
 * Pure: time and all inputs are arguments. Never throws.
 * May import: ../x509/*, ../revocation/*, and the modules of this folder.
 */
import { isCrlParseFailure, parseCrl, type ParsedCrl } from '../revocation/crl.js';
import type { RevocationStatus } from './revocationCheck.js';
import type { ParsedCertificate } from '../x509/certificate.js';
import { parseCertificates } from '../x509/certificateInput.js';
import { certificateSummary, type CertificateSummary } from '../x509/certificateSummary.js';
import { ExtendedKeyUsageOid } from '../x509/oids.js';
import { DEFAULT_POLICY_INPUTS, type PolicyInputs } from './certificatePolicies.js';
import { certificateAuthorityMarker, LEAF_PROFILES, type LeafProfile } from './certificateProfile.js';
import { crlSignerSource } from './crlSigners.js';
import {
  isSelfIssued,
  positionLabel,
  validatePath,
  type PathValidationResult,
  type PathValidationSettings,
  type RevocationMode,
} from './pathValidation.js';
import type { CertificateReason } from './reasons.js';
import { verifySignature, type AlgorithmCheck } from './signatureVerification.js';
import { ruleOf, type TraceEntry } from './trace.js';
import type { TrustStore } from './trustStore.js';
import { messageOf } from '../../errors.js';

/** What to validate and how. */
export interface ValidationInput {
  /** The client certificate, DER or PEM. */
  readonly leaf: Uint8Array | string;
  /** Untrusted intermediates (e.g. forwarded by the gateway); never trust anchors. */
  readonly intermediates?: readonly (Uint8Array | string)[];
  readonly trustStore: TrustStore;
  /** The validation time (the caller's clock). */
  readonly time: Date;
  /** Tolerance on validity and CRL windows; default 0. */
  readonly clockSkewSeconds?: number;
  /** Required EKU OIDs; default clientAuth; [] for none. */
  readonly requiredEkus?: readonly string[];
  /**
   * Rules for the leaf: 'client-certificate' (default: no CA or trust anchor as the leaf, required
   * EKUs listed in the leaf's own EKU extension) or 'rfc5280' (plain RFC 5280). See {@link LeafProfile}.
   */
  readonly leafProfile?: LeafProfile;
  /** Maximum intermediates between leaf and anchor; default 8. */
  readonly maxChainDepth?: number;
  /** CRLs (DER or PEM) to consult. */
  readonly crls?: readonly (Uint8Array | string)[];
  /** How long past its nextUpdate a CRL still counts; default 0. */
  readonly crlGraceSeconds?: number;
  /** Already parsed CRLs (e.g. pre-parsed by a timer job). */
  readonly parsedCrls?: readonly ParsedCrl[];
  /** 'off' (default), 'preferred' (unknown status is traced, passes) or 'required' (unknown fails). */
  readonly revocation?: RevocationMode;
  /**
   * Mode per certificate, decided from the certificate and its issuer (e.g. the issuing CA's own
   * setting); when given it replaces `revocation` for every certificate of the path.
   */
  readonly revocationModeFor?: (certificate: ParsedCertificate, issuer: ParsedCertificate) => RevocationMode;
  /** Revocation status from another source (e.g. OCSP answers fetched beforehand), used when the CRLs give none. */
  readonly revocationStatusFor?: (
    certificate: ParsedCertificate,
    issuer: ParsedCertificate,
  ) => RevocationStatus | undefined;
  /** Accept SHA-1 signatures; default false. */
  readonly allowSha1?: boolean;
  /** Minimum RSA modulus size; default 2048. */
  readonly minRsaBits?: number;
  /** Bound on path-building work (candidate issuers examined); default 2000. */
  readonly maxPathBuildingSteps?: number;
  /**
   * RFC 5280 user-initial-policy-set: the certificate policy OIDs acceptable to the caller.
   * Default `['2.5.29.32.0']` (anyPolicy: any policy, or none, will do).
   */
  readonly initialPolicySet?: readonly string[];
  /** RFC 5280 initial-explicit-policy: the path must be valid for a policy of `initialPolicySet`. Default false. */
  readonly explicitPolicy?: boolean;
  /** RFC 5280 initial-policy-mapping-inhibit: policy mapping is not allowed in the path. Default false. */
  readonly policyMappingInhibit?: boolean;
  /** RFC 5280 initial-any-policy-inhibit: anyPolicy in a certificate is not processed. Default false. */
  readonly anyPolicyInhibit?: boolean;
}

/** The outcome of validation. */
export interface ValidationResult {
  readonly ok: boolean;
  /** `certificate-valid` when ok, else the most relevant failure. */
  readonly reason: CertificateReason;
  readonly trace: TraceEntry[];
  /** Leaf … anchor of the chosen (or best failing) path. */
  readonly path?: CertificateSummary[];
  /** Summary of the leaf, when it parsed (with `validatedPolicyOids` when the path is valid). */
  readonly leaf?: CertificateSummary;
  /**
   * When valid: RFC 5280 §6.1.6's user-constrained-policy-set, the certificate policies (in the
   * trust anchor's policy domain) the path is valid for that are in `initialPolicySet`;
   * `2.5.29.32.0` when the whole path asserts anyPolicy and the caller accepts any policy.
   * Empty when the path is valid for no policy (allowed unless an explicit policy is required).
   */
  readonly userConstrainedPolicySet?: readonly string[];
  /** When valid: the policies the CAs of the path allow, before intersecting with `initialPolicySet` (RFC 9618 §5). */
  readonly authoritiesConstrainedPolicySet?: readonly string[];
}

const DEFAULT_MAX_CHAIN_DEPTH = 8;
const MAX_INITIAL_POLICIES = 256;
const OID_PATTERN = /^[0-2](\.(0|[1-9][0-9]*))+$/u;
const DEFAULT_MAX_STEPS = 2000;
const MAX_CERTIFICATE_INPUT_BYTES = 256 * 1024;
const MAX_INTERMEDIATES = 64;

interface BestFailure {
  readonly rank: number;
  readonly reason: CertificateReason;
  readonly detail: string;
  readonly chain: readonly ParsedCertificate[];
  readonly anchor: ParsedCertificate | undefined;
  readonly pathResult: PathValidationResult | undefined;
}

function inputLength(input: Uint8Array | string): number {
  return typeof input === 'string' ? input.length : input.byteLength;
}

function sameCertificate(a: ParsedCertificate, b: ParsedCertificate): boolean {
  if (a === b) return true;
  return (
    a.subject.normalized === b.subject.normalized &&
    Buffer.from(a.subjectPublicKeyInfo.der).equals(Buffer.from(b.subjectPublicKeyInfo.der))
  );
}

function keyIdentifierRank(child: ParsedCertificate, candidate: ParsedCertificate): number {
  const aki = child.extensions.authorityKeyIdentifier?.keyIdentifier;
  const ski = candidate.extensions.subjectKeyIdentifier?.keyIdentifier;
  if (aki === undefined || ski === undefined) return 1;
  return aki === ski ? 0 : 2;
}

function invalidInput(detail: string): ValidationResult {
  return {
    ok: false,
    reason: 'certificate-validation-input-invalid',
    trace: [
      { check: 'parse', certificate: 'leaf', outcome: 'fail', reason: 'certificate-validation-input-invalid', detail },
    ],
  };
}

/** The policy inputs with RFC 5280's defaults, or why they are not acceptable. */
function policyInputsOf(input: ValidationInput): PolicyInputs | string {
  if (
    input.initialPolicySet === undefined &&
    input.explicitPolicy === undefined &&
    input.policyMappingInhibit === undefined &&
    input.anyPolicyInhibit === undefined
  )
    return DEFAULT_POLICY_INPUTS;
  const initialPolicySet = input.initialPolicySet ?? DEFAULT_POLICY_INPUTS.initialPolicySet;
  if (
    !Array.isArray(initialPolicySet) ||
    initialPolicySet.length === 0 ||
    initialPolicySet.length > MAX_INITIAL_POLICIES
  ) {
    return `initialPolicySet must list 1 to ${MAX_INITIAL_POLICIES} policy OIDs (anyPolicy ${DEFAULT_POLICY_INPUTS.initialPolicySet.join('')} for any)`;
  }
  const badOid = (initialPolicySet as readonly unknown[]).find(
    (oid) => typeof oid !== 'string' || !OID_PATTERN.test(oid),
  );
  if (badOid !== undefined) return `initialPolicySet: ${JSON.stringify(badOid)} is not a dotted OID`;
  const flags = {
    explicitPolicy: input.explicitPolicy,
    policyMappingInhibit: input.policyMappingInhibit,
    anyPolicyInhibit: input.anyPolicyInhibit,
  };
  const badFlag = Object.entries(flags).find(([, value]) => value !== undefined && typeof value !== 'boolean');
  if (badFlag !== undefined) return `${badFlag[0]} must be true or false`;
  return {
    initialPolicySet: [...new Set(initialPolicySet)],
    initialExplicitPolicy: input.explicitPolicy ?? false,
    initialPolicyMappingInhibit: input.policyMappingInhibit ?? false,
    initialAnyPolicyInhibit: input.anyPolicyInhibit ?? false,
  };
}

function validate(input: ValidationInput): ValidationResult {
  if (!(input.time instanceof Date) || Number.isNaN(input.time.getTime()))
    return invalidInput('time is not a valid Date');
  const clockSkewMs = (input.clockSkewSeconds ?? 0) * 1000;
  const maxChainDepth = input.maxChainDepth ?? DEFAULT_MAX_CHAIN_DEPTH;
  const maxSteps = input.maxPathBuildingSteps ?? DEFAULT_MAX_STEPS;
  if (!Number.isFinite(clockSkewMs) || clockSkewMs < 0 || !(maxChainDepth >= 0) || !(maxSteps > 0))
    return invalidInput('clockSkewSeconds, maxChainDepth or maxPathBuildingSteps out of range');
  const leafProfile = input.leafProfile ?? 'client-certificate';
  if (!LEAF_PROFILES.includes(leafProfile))
    return invalidInput(`leafProfile must be one of ${LEAF_PROFILES.join(', ')}`);
  const policyInputs = policyInputsOf(input);
  if (typeof policyInputs === 'string') return invalidInput(policyInputs);
  const trace: TraceEntry[] = [];

  if (inputLength(input.leaf) > MAX_CERTIFICATE_INPUT_BYTES) {
    trace.push({
      check: 'parse',
      certificate: 'leaf',
      outcome: 'fail',
      reason: 'certificate-malformed',
      detail: 'leaf input is too large',
    });
    return { ok: false, reason: 'certificate-malformed', trace };
  }
  const leafParse = parseCertificates(input.leaf);
  const leafCertificate = leafParse.ok ? leafParse.certificates[0] : undefined;
  if (!leafParse.ok || leafCertificate === undefined || leafParse.certificates.length !== 1) {
    const detail = leafParse.ok
      ? `expected one leaf certificate, found ${leafParse.certificates.length}`
      : leafParse.detail;
    trace.push({ check: 'parse', certificate: 'leaf', outcome: 'fail', reason: 'certificate-malformed', detail });
    return { ok: false, reason: 'certificate-malformed', trace };
  }
  const leaf = leafCertificate;
  const leafSummary = certificateSummary(leaf);
  trace.push({ check: 'parse', certificate: 'leaf', outcome: 'pass', detail: leaf.subject.text });

  if (leafProfile === 'client-certificate') {
    // A CA certificate is never a client certificate, whichever path it could be given: checked
    // first so that a trusted CA forwarded as the leaf (which has no path of its own) is named
    // for what it is. An anchor is a CA whatever its extensions say (e.g. a v1 root).
    const isAnchor = (input.trustStore.bySubject.get(leaf.subject.normalized) ?? []).some((anchor) =>
      sameCertificate(anchor, leaf),
    );
    const marker = isAnchor ? 'it is a trusted CA' : certificateAuthorityMarker(leaf);
    if (marker !== undefined) {
      trace.push({
        check: 'leaf-profile',
        certificate: 'leaf',
        outcome: 'fail',
        reason: 'certificate-leaf-is-ca',
        detail: `a CA certificate cannot be a client certificate: ${marker}`,
      });
      return { ok: false, reason: 'certificate-leaf-is-ca', trace, leaf: leafSummary };
    }
    trace.push({ check: 'leaf-profile', certificate: 'leaf', outcome: 'pass' });
  }

  // Untrusted intermediates: unparseable ones are skipped (they cannot be part of a valid path).
  const intermediatesBySubject = new Map<string, ParsedCertificate[]>();
  const suppliedCount = input.intermediates?.length ?? 0;
  if (suppliedCount > MAX_INTERMEDIATES) {
    trace.push({
      check: 'parse',
      certificate: 'supplied',
      outcome: 'skip',
      detail: `only the first ${MAX_INTERMEDIATES} of ${suppliedCount} supplied intermediates are considered`,
    });
  }
  (input.intermediates ?? []).slice(0, MAX_INTERMEDIATES).forEach((entry, index) => {
    const label = `supplied[${index}]`;
    if (inputLength(entry) > MAX_CERTIFICATE_INPUT_BYTES) {
      trace.push({
        check: 'parse',
        certificate: label,
        outcome: 'skip',
        reason: 'certificate-malformed',
        detail: 'too large',
      });
      return;
    }
    const parsed = parseCertificates(entry);
    if (!parsed.ok) {
      trace.push({
        check: 'parse',
        certificate: label,
        outcome: 'skip',
        reason: 'certificate-malformed',
        detail: parsed.detail,
      });
      return;
    }
    for (const certificate of parsed.certificates) {
      if (input.trustStore.derKeys.has(Buffer.from(certificate.der).toString('hex'))) continue;
      const list = intermediatesBySubject.get(certificate.subject.normalized) ?? [];
      list.push(certificate);
      intermediatesBySubject.set(certificate.subject.normalized, list);
    }
  });

  const crls: ParsedCrl[] = [...(input.parsedCrls ?? [])];
  (input.crls ?? []).forEach((entry, index) => {
    const parsed = parseCrl(entry);
    if (isCrlParseFailure(parsed))
      trace.push({
        check: 'revocation',
        certificate: `crl[${index}]`,
        outcome: 'skip',
        reason: 'certificate-malformed',
        detail: parsed.detail,
      });
    else crls.push(parsed);
  });

  const algorithms = { allowSha1: input.allowSha1 ?? false, minRsaBits: input.minRsaBits ?? 2048 };
  const signatureCache = new Map<ParsedCertificate, Map<ParsedCertificate, AlgorithmCheck>>();
  const verifyIssuedBy = (child: ParsedCertificate, issuer: ParsedCertificate): AlgorithmCheck => {
    let byIssuer = signatureCache.get(child);
    if (byIssuer === undefined) {
      byIssuer = new Map();
      signatureCache.set(child, byIssuer);
    }
    let result = byIssuer.get(issuer);
    if (result === undefined) {
      result = verifySignature(
        child.tbsDer,
        child.signatureValue,
        child.signatureAlgorithm,
        issuer.subjectPublicKeyInfo,
        algorithms,
      );
      byIssuer.set(issuer, result);
    }
    return result;
  };
  const settings: PathValidationSettings = {
    time: input.time,
    clockSkewMs,
    crlGraceMs: Math.max(0, input.crlGraceSeconds ?? 0) * 1000,
    requiredEkus: input.requiredEkus ?? [ExtendedKeyUsageOid.clientAuth],
    leafProfile,
    algorithms,
    revocation: input.revocation ?? 'off',
    ...(input.revocationModeFor ? { revocationModeFor: input.revocationModeFor } : {}),
    ...(input.revocationStatusFor ? { revocationStatusFor: input.revocationStatusFor } : {}),
    policyInputs,
    crls,
    verifyIssuedBy,
    // RFC 5280 §6.3.3 (f): a CRL signer outside the path needs its own path to the same anchor,
    // validated without EKU requirements and without a further signer search (one level).
    crlSigners: (anchor) =>
      crlSignerSource({
        anchor,
        certificatesNamed: (name) => [
          ...(input.trustStore.bySubject.get(name) ?? []).map((certificate) => ({ certificate, anchor: true })),
          ...(intermediatesBySubject.get(name) ?? []).map((certificate) => ({ certificate, anchor: false })),
        ],
        verifyIssuedBy,
        validate: (chain, signerAnchor) => {
          const { crlSigners: _nested, ...outer } = settings;
          // The caller's policy inputs are about the client certificate: a CRL signer's path asserts no policy of its
          // own.
          return validatePath(chain, signerAnchor, {
            ...outer,
            requiredEkus: [],
            leafProfile: 'rfc5280',
            policyInputs: DEFAULT_POLICY_INPUTS,
          });
        },
        maxDepth: maxChainDepth,
        maxSteps,
      }),
  };

  // Mutated from the recursive search below; an object so the compiler does not narrow it away.
  const search: { steps: number; exhausted: boolean; pathsTried: number; best: BestFailure | undefined } = {
    steps: 0,
    exhausted: false,
    pathsTried: 0,
    best: undefined,
  };
  const consider = (failure: BestFailure): void => {
    if (search.best === undefined || failure.rank > search.best.rank) search.best = failure;
  };
  const candidatesFor = (certificate: ParsedCertificate): { certificate: ParsedCertificate; anchor: boolean }[] => {
    const byRank = (a: ParsedCertificate, b: ParsedCertificate): number =>
      keyIdentifierRank(certificate, a) - keyIdentifierRank(certificate, b);
    const anchors = [...(input.trustStore.bySubject.get(certificate.issuer.normalized) ?? [])].sort(byRank);
    const intermediates = [...(intermediatesBySubject.get(certificate.issuer.normalized) ?? [])].sort(byRank);
    return [
      ...anchors.map((candidate) => ({ certificate: candidate, anchor: true })),
      ...intermediates.map((candidate) => ({ certificate: candidate, anchor: false })),
    ];
  };

  const extend = (
    chain: ParsedCertificate[],
  ): { chain: ParsedCertificate[]; anchor: ParsedCertificate; result: PathValidationResult } | undefined => {
    const current = chain[chain.length - 1];
    if (current === undefined) return undefined;
    for (const candidate of candidatesFor(current)) {
      search.steps += 1;
      if (search.steps > maxSteps) {
        search.exhausted = true;
        return undefined;
      }
      if (chain.some((member) => sameCertificate(member, candidate.certificate))) continue;
      const signature = verifyIssuedBy(current, candidate.certificate);
      if (!signature.ok) {
        consider({
          rank: 1,
          reason: signature.reason,
          detail: `${current.subject.text} ← ${candidate.certificate.subject.text}: ${signature.detail}`,
          chain: [...chain],
          anchor: undefined,
          pathResult: undefined,
        });
        continue;
      }
      if (candidate.anchor) {
        search.pathsTried += 1;
        const result = validatePath(chain, candidate.certificate, settings);
        if (result.ok) return { chain: [...chain], anchor: candidate.certificate, result };
        consider({
          rank: 3,
          reason: result.reason,
          detail: '',
          chain: [...chain],
          anchor: candidate.certificate,
          pathResult: result,
        });
        continue;
      }
      // Depth counts logical intermediates: self-issued certificates (key rollover) are free.
      const depth =
        chain.slice(1).filter((member) => !isSelfIssued(member)).length + (isSelfIssued(candidate.certificate) ? 0 : 1);
      if (depth > maxChainDepth) {
        consider({
          rank: 2,
          reason: 'certificate-path-too-long',
          detail: `a path needs more than ${maxChainDepth} intermediates`,
          chain: [...chain],
          anchor: undefined,
          pathResult: undefined,
        });
        continue;
      }
      chain.push(candidate.certificate);
      const found = extend(chain);
      chain.pop();
      if (found !== undefined || search.exhausted) return found;
    }
    return undefined;
  };

  const found = extend([leaf]);
  if (found !== undefined) {
    trace.push({
      check: 'path-building',
      certificate: 'leaf',
      outcome: 'pass',
      detail: `path of ${found.chain.length} certificate(s) to ${found.anchor.subject.text} (${search.pathsTried} anchored path(s) tried)`,
    });
    const policies = found.result.policies;
    return {
      ok: true,
      reason: 'certificate-valid',
      trace: [...trace, ...found.result.trace],
      path: [...found.chain, found.anchor].map(certificateSummary),
      leaf:
        policies === undefined
          ? leafSummary
          : { ...leafSummary, validatedPolicyOids: [...policies.userConstrainedPolicySet] },
      ...(policies === undefined
        ? {}
        : {
            userConstrainedPolicySet: policies.userConstrainedPolicySet,
            authoritiesConstrainedPolicySet: policies.authoritiesConstrainedPolicySet,
          }),
    };
  }
  const failure = search.best;
  if (failure?.rank === 3 && failure.pathResult !== undefined && failure.anchor !== undefined) {
    const detail = `best path of ${failure.chain.length} certificate(s) to ${failure.anchor.subject.text} failed (${search.pathsTried} anchored path(s) tried${search.exhausted ? ', work bound reached' : ''})`;
    trace.push({ check: 'path-building', certificate: 'leaf', outcome: 'pass', detail });
    return {
      ok: false,
      reason: failure.reason,
      trace: [...trace, ...failure.pathResult.trace],
      path: [...failure.chain, failure.anchor].map(certificateSummary),
      leaf: leafSummary,
    };
  }
  let reason: CertificateReason = 'certificate-untrusted';
  let detail = `no path from ${leaf.issuer.text} to a trusted CA`;
  if (search.exhausted) {
    reason = 'certificate-path-building-exhausted';
    detail = `stopped after ${maxSteps} path-building steps`;
  } else if (failure !== undefined) {
    reason = failure.reason;
    detail = failure.detail;
  }
  // The certificate the failure is about: for a broken signature, the last of the partial chain.
  const failedOn =
    failure === undefined || failure.rank !== 1
      ? 'leaf'
      : positionLabel(failure.chain.length - 1, failure.chain.length + 1);
  trace.push({
    check: 'path-building',
    certificate: failedOn,
    outcome: 'fail',
    reason,
    detail,
    rule: ruleOf('path-building', reason),
  });
  return {
    ok: false,
    reason,
    trace,
    ...(failure === undefined ? {} : { path: failure.chain.map(certificateSummary) }),
    leaf: leafSummary,
  };
}

/**
 * Validate a client certificate path (RFC 5280 §6.1 with path building) at `input.time`.
 * Synchronous and pure; never throws: every input, however malformed, gives a result with a
 * reason code and a trace.
 */
export function validateCertificatePath(input: ValidationInput): ValidationResult {
  try {
    return validate(input);
  } catch (error) {
    const detail = `unexpected validation failure: ${messageOf(error)}`;
    return {
      ok: false,
      reason: 'certificate-malformed',
      trace: [{ check: 'parse', certificate: 'leaf', outcome: 'fail', reason: 'certificate-malformed', detail }],
    };
  }
}
