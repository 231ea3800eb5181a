/**
 * RFC 5280 §6.1 validation of one candidate path (leaf … last intermediate, plus the trust
 * anchor). Checks run from the anchor down to the leaf, each certificate in a fixed order; the
 * first failure decides. Trust-anchor semantics (documented in docs/conformance.md): the anchor
 * supplies name and key, and, as OpenSSL and Go do, its own validity, basicConstraints,
 * keyUsage, pathLenConstraint, name constraints and EKU (when present) also constrain the path.
 * May import: ../x509/*, ../revocation/*, and the modules of this folder.
 */
import type { ParsedCrl } from '../revocation/crl.js';
import type { ParsedCertificate } from '../x509/certificate.js';
import type { NameConstraints } from '../x509/extensions.js';
import { ExtendedKeyUsageOid, ExtensionOid } from '../x509/oids.js';
import { PolicyProcessor, type PolicyInputs, type PolicyOutput } from './certificatePolicies.js';
import { profileViolation, type LeafProfile, type PathRole } from './certificateProfile.js';
import { checkConstraintsWellFormed, checkNameConstraints } from './nameConstraints.js';
import type { CertificateReason } from './reasons.js';
import { checkRevocation, type CrlSignerSource, type RevocationStatus } from './revocationCheck.js';
import { checkPublicKey, type AlgorithmCheck, type AlgorithmPolicy } from './signatureVerification.js';
import { ruleOf, type TraceEntry, type ValidationCheck } from './trace.js';
import { CertgateError } from '../../errors.js';

/** Revocation checking mode. */
export type RevocationMode = 'off' | 'preferred' | 'required';

/** Settings shared by every path checked in one validation. */
export interface PathValidationSettings {
  readonly time: Date;
  readonly clockSkewMs: number;
  readonly crlGraceMs: number;
  readonly requiredEkus: readonly string[];
  /** How the leaf's own EKU is read (see {@link LeafProfile}); the CA-leaf rule is applied before path building. */
  readonly leafProfile: LeafProfile;
  readonly algorithms: AlgorithmPolicy;
  readonly revocation: RevocationMode;
  /** Per-certificate mode (e.g. each issuing CA's own setting); overrides `revocation` when given. */
  readonly revocationModeFor?: (certificate: ParsedCertificate, issuer: ParsedCertificate) => RevocationMode;
  /** Status from another source (OCSP answers fetched beforehand), consulted when the CRLs say nothing. */
  readonly revocationStatusFor?: (
    certificate: ParsedCertificate,
    issuer: ParsedCertificate,
  ) => RevocationStatus | undefined;
  readonly crls: readonly ParsedCrl[];
  /** CRL signers outside the path (RFC 5280 §6.3.3 (f)), for the path to `anchor`; see ./crlSigners.js. */
  readonly crlSigners?: (anchor: ParsedCertificate) => CrlSignerSource;
  /** Signature check of `child` by `issuer` (cached by the caller). */
  readonly verifyIssuedBy: (child: ParsedCertificate, issuer: ParsedCertificate) => AlgorithmCheck;
  /** The relying party's certificate-policy inputs (RFC 5280 §6.1.1 (c), (e)-(g)). */
  readonly policyInputs: PolicyInputs;
}

/** Result of validating one path. */
export interface PathValidationResult {
  readonly ok: boolean;
  readonly reason: CertificateReason;
  readonly trace: TraceEntry[];
  /** Position (0 = leaf) of the certificate that failed. */
  readonly failedAt?: number;
  /** The policy outputs (RFC 5280 §6.1.6), when the path is valid. */
  readonly policies?: PolicyOutput;
}

const HANDLED_EXTENSIONS = new Set<string>([
  ExtensionOid.basicConstraints,
  ExtensionOid.keyUsage,
  ExtensionOid.extKeyUsage,
  ExtensionOid.subjectAltName,
  ExtensionOid.nameConstraints,
  ExtensionOid.certificatePolicies,
  ExtensionOid.policyConstraints,
  ExtensionOid.policyMappings,
  ExtensionOid.inhibitAnyPolicy,
  ExtensionOid.subjectKeyIdentifier,
  ExtensionOid.authorityKeyIdentifier,
  ExtensionOid.crlDistributionPoints,
  ExtensionOid.authorityInfoAccess,
]);

/** Whether subject and issuer names match (RFC 5280 "self-issued"). */
export function isSelfIssued(certificate: ParsedCertificate): boolean {
  return certificate.subject.normalized === certificate.issuer.normalized;
}

class PathFailure extends CertgateError {
  readonly code = 'certificate-path-check-failed';
  constructor(
    readonly reason: CertificateReason,
    readonly position: number,
  ) {
    super(reason);
  }
}

/** Label of position `position` in a path of `length` certificates below the anchor (0 = leaf). */
export function positionLabel(position: number, length: number): string {
  if (position === 0) return 'leaf';
  if (position >= length) return 'anchor';
  return `intermediate[${position}]`;
}

function allowsEkus(purposes: readonly string[], required: readonly string[]): string | undefined {
  if (purposes.includes(ExtendedKeyUsageOid.anyExtendedKeyUsage)) return undefined;
  return required.find((oid) => !purposes.includes(oid));
}

const EKU_NAMES: ReadonlyMap<string, string> = new Map(
  Object.entries(ExtendedKeyUsageOid).map(([name, oid]) => [oid, name]),
);

function ekuLabel(oid: string): string {
  const name = EKU_NAMES.get(oid);
  return name === undefined ? oid : `${name} (${oid})`;
}

/**
 * Why the leaf's own EKU does not give the required purposes, or undefined. Under the
 * client-certificate profile the leaf must list each one: RFC 5280 reads a missing extension as
 * "any purpose" and lets anyExtendedKeyUsage stand in, but a certificate meant for client
 * authentication says so (Client Authentication must be present).
 */
function leafEkuViolation(
  purposes: readonly string[] | undefined,
  required: readonly string[],
  profile: LeafProfile,
): string | undefined {
  if (profile === 'rfc5280') {
    if (purposes === undefined) return undefined;
    const missing = allowsEkus(purposes, required);
    return missing === undefined
      ? undefined
      : `extended key usage ${ekuLabel(missing)} is not allowed by the certificate`;
  }
  if (purposes === undefined)
    return `the certificate has no extended key usage extension; it must list ${required.map(ekuLabel).join(', ')}`;
  const missing = required.find((oid) => !purposes.includes(oid));
  if (missing === undefined) return undefined;
  if (purposes.includes(ExtendedKeyUsageOid.anyExtendedKeyUsage))
    return `the certificate lists anyExtendedKeyUsage but not ${ekuLabel(missing)}; a client certificate must list it`;
  return `extended key usage ${ekuLabel(missing)} is not listed by the certificate`;
}

/**
 * Validate `chain` (leaf first, then intermediates towards the anchor) ending at `anchor`.
 * The signature of the top of `chain` by `anchor` and of each certificate by the next are checked
 * with `settings.verifyIssuedBy`.
 */
export function validatePath(
  chain: readonly ParsedCertificate[],
  anchor: ParsedCertificate,
  settings: PathValidationSettings,
): PathValidationResult {
  const trace: TraceEntry[] = [];
  const length = chain.length;
  // RFC 5280 validity has second granularity: compare at floor(time) (limbo notafter-fractional).
  const time = Math.floor(settings.time.getTime() / 1000) * 1000;
  const record = (
    check: ValidationCheck,
    position: number,
    outcome: TraceEntry['outcome'],
    reason?: CertificateReason,
    detail?: string,
  ): void => {
    trace.push({
      check,
      certificate: positionLabel(position, length),
      outcome,
      ...(reason === undefined ? {} : { reason }),
      ...(detail === undefined ? {} : { detail }),
    });
  };
  const fail = (
    check: ValidationCheck,
    position: number,
    reason: CertificateReason,
    detail: string,
    rule = ruleOf(check, reason),
  ): never => {
    trace.push({ check, certificate: positionLabel(position, length), outcome: 'fail', reason, detail, rule });
    throw new PathFailure(reason, position);
  };
  const checkValidity = (certificate: ParsedCertificate, position: number): void => {
    if (certificate.notBefore.getTime() - settings.clockSkewMs > time)
      fail('validity', position, 'certificate-not-yet-valid', `notBefore ${certificate.notBefore.toISOString()}`);
    if (certificate.notAfter.getTime() + settings.clockSkewMs < time)
      fail('validity', position, 'certificate-expired', `notAfter ${certificate.notAfter.toISOString()}`);
    record('validity', position, 'pass');
  };
  const checkKey = (certificate: ParsedCertificate, position: number): void => {
    const key = checkPublicKey(certificate.subjectPublicKeyInfo, settings.algorithms);
    if (!key.ok) fail('key-strength', position, key.reason, key.detail);
    record('key-strength', position, 'pass');
  };
  const checkIssuerRole = (certificate: ParsedCertificate, position: number, isAnchor: boolean): void => {
    const basic = certificate.extensions.basicConstraints;
    if (basic?.ca !== true && !(isAnchor && certificate.version < 3))
      fail(
        'basic-constraints',
        position,
        'certificate-issuer-not-ca',
        'issuer is not a CA (basicConstraints cA missing or false)',
      );
    record('basic-constraints', position, 'pass');
    const keyUsage = certificate.extensions.keyUsage;
    if (keyUsage !== undefined && !keyUsage.usages.has('keyCertSign'))
      fail('key-usage', position, 'certificate-key-usage-invalid', 'issuer key usage lacks keyCertSign');
    record('key-usage', position, 'pass');
  };
  const checkStructure = (certificate: ParsedCertificate, position: number, role: PathRole): void => {
    const violation = profileViolation(certificate, role);
    if (violation !== undefined) fail('structure', position, 'certificate-profile-violation', violation);
    const { nameConstraints } = certificate.extensions;
    if (nameConstraints !== undefined) {
      const wellFormed = checkConstraintsWellFormed(nameConstraints);
      if (!wellFormed.ok) fail('structure', position, 'certificate-malformed', wellFormed.detail);
    }
    record('structure', position, 'pass');
  };
  const checkCriticalExtensions = (certificate: ParsedCertificate, position: number): void => {
    const unknown = certificate.extensions.present.find(
      (extension) => extension.critical && !HANDLED_EXTENSIONS.has(extension.oid),
    );
    if (unknown !== undefined)
      fail(
        'critical-extensions',
        position,
        'certificate-unknown-critical-extension',
        `critical extension ${unknown.oid} is not processed`,
      );
    record('critical-extensions', position, 'pass');
  };

  try {
    // The trust anchor.
    checkValidity(anchor, length);
    checkKey(anchor, length);
    checkStructure(anchor, length, 'anchor');
    checkCriticalExtensions(anchor, length);
    checkIssuerRole(anchor, length, true);
    const constraints: { readonly position: number; readonly constraints: NameConstraints }[] = [];
    if (anchor.extensions.nameConstraints !== undefined) {
      constraints.push({ position: length, constraints: anchor.extensions.nameConstraints });
    }
    let maxPathLength = anchor.extensions.basicConstraints?.pathLength ?? Number.POSITIVE_INFINITY;
    let maxPathLengthSource = `pathLenConstraint ${maxPathLength} of the anchor`;
    // RFC certificate i (1 = issued by the anchor, n = the leaf) sits at position n - i.
    const policies = new PolicyProcessor(length, settings.policyInputs, (index) =>
      positionLabel(length - index, length),
    );
    const ekuConstraints: { position: number; purposes: readonly string[] }[] = [];
    if (anchor.extensions.extKeyUsage !== undefined)
      ekuConstraints.push({ position: length, purposes: anchor.extensions.extKeyUsage.purposes });

    for (let position = length - 1; position >= 0; position -= 1) {
      const certificate = chain[position];
      if (certificate === undefined) break;
      const issuer = position === length - 1 ? anchor : chain[position + 1];
      if (issuer === undefined) break;
      const isLeaf = position === 0;
      const signature = settings.verifyIssuedBy(certificate, issuer);
      if (!signature.ok) fail('signature', position, signature.reason, signature.detail);
      record('signature', position, 'pass');
      checkKey(certificate, position);
      checkValidity(certificate, position);
      checkStructure(certificate, position, isLeaf ? 'leaf' : 'intermediate');
      checkCriticalExtensions(certificate, position);
      // §6.1.3 (b)-(c): self-issued intermediates are exempt from name constraints.
      if (isLeaf || !isSelfIssued(certificate)) {
        for (const { position: caPosition, constraints: caConstraints } of constraints) {
          const check = checkNameConstraints(certificate, caConstraints);
          if (!check.ok)
            fail(
              'name-constraints',
              position,
              'certificate-name-constraints-violated',
              `${check.detail} (constraints of ${positionLabel(caPosition, length)})`,
            );
        }
        if (constraints.length > 0) record('name-constraints', position, 'pass');
      }
      const revocationMode = settings.revocationModeFor?.(certificate, issuer) ?? settings.revocation;
      if (revocationMode !== 'off') {
        const fromCrls = checkRevocation(certificate, issuer, {
          crls: settings.crls,
          time: settings.time,
          clockSkewMs: settings.clockSkewMs,
          crlGraceMs: settings.crlGraceMs,
          algorithms: settings.algorithms,
          pathAbove: [...chain.slice(position + 2), anchor],
          ...(settings.crlSigners ? { signers: settings.crlSigners(anchor) } : {}),
        });
        const status =
          fromCrls.status === 'unknown' ? (settings.revocationStatusFor?.(certificate, issuer) ?? fromCrls) : fromCrls;
        if (status.status === 'revoked') fail('revocation', position, 'certificate-revoked', status.detail);
        if (status.status === 'unknown') {
          if (revocationMode === 'required')
            fail('revocation', position, 'certificate-revocation-unknown', status.detail);
          record('revocation', position, 'skip', 'certificate-revocation-unknown', status.detail);
        } else {
          record('revocation', position, 'pass', undefined, status.detail);
        }
      }
      const policyStep = policies.processCertificate(certificate, length - position);
      if (!policyStep.ok) fail('policies', position, 'certificate-policy-invalid', policyStep.detail, policyStep.rule);
      if (!isLeaf) {
        checkIssuerRole(certificate, position, false);
        // §6.1.4 (l): only CAs that are not self-issued count (a key-rollover certificate is free).
        if (!isSelfIssued(certificate)) {
          if (maxPathLength <= 0)
            fail(
              'path-length',
              position,
              'certificate-path-length-exceeded',
              `this CA is one intermediate too many for ${maxPathLengthSource} (self-issued CAs are not counted)`,
              'RFC 5280 §6.1.4 (l)',
            );
          maxPathLength -= 1;
        }
        // §6.1.4 (m): a pathLenConstraint (a self-issued CA's too) can only lower it.
        const pathLength = certificate.extensions.basicConstraints?.pathLength;
        if (pathLength !== undefined && pathLength < maxPathLength) {
          maxPathLength = pathLength;
          maxPathLengthSource = `pathLenConstraint ${pathLength} of ${positionLabel(position, length)}`;
        }
        record('path-length', position, 'pass');
        if (certificate.extensions.nameConstraints !== undefined)
          constraints.push({ position, constraints: certificate.extensions.nameConstraints });
        const preparation = policies.prepareForNext(certificate, length - position);
        if (!preparation.ok)
          fail('policies', position, 'certificate-policy-invalid', preparation.detail, preparation.rule);
        if (certificate.extensions.extKeyUsage !== undefined)
          ekuConstraints.push({ position, purposes: certificate.extensions.extKeyUsage.purposes });
      } else if (settings.requiredEkus.length > 0) {
        const leafViolation = leafEkuViolation(
          certificate.extensions.extKeyUsage?.purposes,
          settings.requiredEkus,
          settings.leafProfile,
        );
        if (leafViolation !== undefined) fail('extended-key-usage', 0, 'certificate-eku-missing', leafViolation);
        for (const constraint of ekuConstraints) {
          const missing = allowsEkus(constraint.purposes, settings.requiredEkus);
          if (missing !== undefined)
            fail(
              'extended-key-usage',
              constraint.position,
              'certificate-eku-missing',
              `extended key usage ${ekuLabel(missing)} is not allowed by ${positionLabel(constraint.position, length)}`,
            );
        }
        record('extended-key-usage', 0, 'pass');
      }
    }
    const leaf = chain[0];
    if (leaf === undefined) throw new Error('empty path');
    const policyOutcome = policies.wrapUp(leaf);
    if (!policyOutcome.ok) fail('policies', 0, 'certificate-policy-invalid', policyOutcome.detail, policyOutcome.rule);
    const output = policyOutcome.ok ? policyOutcome.output : undefined;
    record(
      'policies',
      0,
      'pass',
      undefined,
      `user-constrained policy set: ${output === undefined || output.userConstrainedPolicySet.length === 0 ? 'empty' : output.userConstrainedPolicySet.join(', ')}`,
    );
    return { ok: true, reason: 'certificate-valid', trace, ...(output === undefined ? {} : { policies: output }) };
  } catch (error) {
    if (error instanceof PathFailure) return { ok: false, reason: error.reason, trace, failedAt: error.position };
    throw error;
  }
}
