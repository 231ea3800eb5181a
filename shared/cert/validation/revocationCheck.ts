/**
 * CRL-based revocation status of one certificate: RFC 5280 §6.3.3, step by step.
 *
 * For every CRL at hand that could speak for the certificate (issued by the certificate's issuer,
 * or by a cRLIssuer its distribution points name), in this order:
 *  1. structure: no unknown critical extension, a non-critical cRLNumber (§5.2.3), certificateIssuer
 *     entries only in an indirect CRL (§5.3.3);
 *  2. scope (§6.3.3 (b)): the issuer (direct, or indirect through the distribution point's
 *     cRLIssuer and the CRL's indirectCRL), the issuing distribution point name against the
 *     certificate's distribution point names (fullName or nameRelativeToCRLIssuer, any name form),
 *     onlyContainsUserCerts / onlyContainsCACerts against the certificate's cA bit,
 *     onlyContainsAttributeCerts; the reasons it covers (§6.3.3 (d): the distribution point's
 *     reasons ∩ onlySomeReasons);
 *  3. time window (thisUpdate, nextUpdate with the configured grace);
 *  4. signer (§6.3.3 (f), (g)): a certificate named as the CRL issuer, with cRLSign when it has a
 *     keyUsage, whose key verifies the CRL, and which either belongs to the validated path (the
 *     issuer, or any certificate above it, e.g. a self-issued rollover certificate) or has its own
 *     valid path to the same trust anchor (`signers`, a separate CRL-signing key or an indirect
 *     CRL issuer);
 *  5. delta (§6.3.3 (c), §5.2.4): the newest delta CRL with the same issuer, signer and scope,
 *     whose BaseCRLNumber is at most this CRL's number and whose own number is greater, is read
 *     first (removeFromCRL there lifts a hold on the base).
 * Of several usable complete CRLs with one scope only the newest counts. The status is "revoked"
 * when a usable CRL lists the certificate, "good" only when the usable CRLs together cover all
 * reasons (§6.3.3 (k), reasons_mask = all-reasons), and "unknown" otherwise — never "good" for a
 * certificate the CRLs at hand do not cover.
 * May import: ../x509/*, ../revocation/*, ./signatureVerification.js.
 */
import {
  ALL_REASONS,
  findRevokedEntry,
  reasonMaskFromBytes,
  reasonMaskNames,
  type ParsedCrl,
  type RevokedEntry,
} from '../revocation/crl.js';
import type { ParsedCertificate } from '../x509/certificate.js';
import type { DistributionPoint } from '../x509/extensions.js';
import type { GeneralName } from '../x509/generalNames.js';
import type { DistinguishedName, NameAttribute } from '../x509/names.js';
import { verifySignature, type AlgorithmPolicy } from './signatureVerification.js';

/** Revocation status of one certificate. */
export type RevocationStatus =
  | { readonly status: 'good'; readonly detail: string }
  | { readonly status: 'revoked'; readonly entry: RevokedEntry; readonly detail: string }
  | { readonly status: 'unknown'; readonly detail: string };

/**
 * Where CRL signers outside the validated path come from (RFC 5280 §6.3.3 (f)): a separate
 * CRL-signing certificate of the same CA, or the issuer of an indirect CRL.
 */
export interface CrlSignerSource {
  /** Certificates whose subject is `name`, to try as the signer of a CRL issued under that name. */
  candidates(name: DistinguishedName): readonly ParsedCertificate[];
  /** Why `signer` has no valid path to the trust anchor of the path being validated; undefined when it has one. */
  pathProblem(signer: ParsedCertificate): string | undefined;
}

/** Inputs to {@link checkRevocation}. */
export interface RevocationContext {
  readonly crls: readonly ParsedCrl[];
  readonly time: Date;
  readonly clockSkewMs: number;
  /** How long past its nextUpdate a CRL still counts (the CDP may be briefly late or down). */
  readonly crlGraceMs: number;
  readonly algorithms: AlgorithmPolicy;
  /**
   * The already validated certificates above the issuer (nearest first, ending with the trust
   * anchor): any of them bearing the CRL issuer's name may sign its CRLs without a path of its own.
   */
  readonly pathAbove?: readonly ParsedCertificate[];
  /** Signers outside the path; without it only certificates of the path can sign a CRL. */
  readonly signers?: CrlSignerSource;
}

/** Why one CRL cannot speak for the certificate. */
type Unusable = { readonly problem: string };

interface UsableCrl {
  readonly crl: ParsedCrl;
  /** Reasons this CRL covers for the certificate (a mask of ALL_REASONS). */
  readonly reasons: number;
  readonly signer: ParsedCertificate;
}

/** RFC 5280 §7.1 comparison key of a name given as RDNs. */
function rdnsKey(rdns: readonly (readonly NameAttribute[])[]): string {
  return JSON.stringify(rdns.map((rdn) => rdn.map((attribute) => `${attribute.type}=${attribute.comparable}`).sort()));
}

/** A comparison key per GeneralName form (case-insensitive where the form is). */
function generalNameKey(name: GeneralName): string {
  switch (name.kind) {
    case 'directoryName':
      return `dn:${rdnsKey(name.name.rdns)}`;
    case 'uniformResourceIdentifier':
      return `uri:${name.value}`;
    case 'dNSName':
      return `dns:${name.value.toLowerCase()}`;
    case 'rfc822Name':
      return `email:${name.value.toLowerCase()}`;
    case 'iPAddress':
      return `ip:${Buffer.from(name.bytes).toString('hex')}`;
    case 'registeredID':
      return `oid:${name.oid}`;
    case 'otherName':
      return `other:${name.typeId}:${name.valueHex}`;
    case 'x400Address':
    case 'ediPartyName':
      return `${name.kind}:${name.valueHex}`;
  }
}

/**
 * The names of a distribution point (RFC 5280 §4.2.1.13): its fullName, or the fragment appended
 * to `base` (the CRL issuer); undefined when the point has no name.
 */
function pointNameKeys(
  point: Pick<DistributionPoint, 'fullName' | 'nameRelativeToCrlIssuer'>,
  base: DistinguishedName,
): Set<string> | undefined {
  if (point.fullName !== undefined) return new Set(point.fullName.map(generalNameKey));
  if (point.nameRelativeToCrlIssuer !== undefined)
    return new Set([`dn:${rdnsKey([...base.rdns, point.nameRelativeToCrlIssuer])}`]);
  return undefined;
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  for (const key of a) if (b.has(key)) return true;
  return false;
}

function directoryNames(names: readonly GeneralName[] | undefined): DistinguishedName[] {
  return (names ?? []).flatMap((name) => (name.kind === 'directoryName' ? [name.name] : []));
}

/** Whether the CRL is one the certificate could be covered by at all (its issuer, or a cRLIssuer it names). */
function isCandidateCrl(crl: ParsedCrl, certificate: ParsedCertificate): boolean {
  if (crl.issuer.normalized === certificate.issuer.normalized) return true;
  const points = certificate.extensions.crlDistributionPoints?.points ?? [];
  return points.some((point) =>
    directoryNames(point.crlIssuer).some((name) => name.normalized === crl.issuer.normalized),
  );
}

function structureProblem(crl: ParsedCrl): string | undefined {
  if (crl.unknownCriticalExtensions.length > 0)
    return `unknown critical CRL extension ${crl.unknownCriticalExtensions.join(', ')}`;
  if (crl.crlNumber === undefined) return 'CRL has no cRLNumber (RFC 5280 §5.2.3)';
  if (crl.crlNumberCritical) return 'CRL cRLNumber is critical (RFC 5280 §5.2.3)';
  if (crl.hasCertificateIssuerEntries && crl.issuingDistributionPoint?.indirectCrl !== true) {
    return 'certificateIssuer entries in a CRL that is not indirect (RFC 5280 §5.3.3)';
  }
  return undefined;
}

/** RFC 5280 §6.3.3 (b) and (d): the reasons `crl` covers for `certificate`, or why it covers none. */
function crlScope(crl: ParsedCrl, certificate: ParsedCertificate): number | Unusable {
  const idp = crl.issuingDistributionPoint;
  const isCa = certificate.extensions.basicConstraints?.ca === true;
  if (idp?.onlyContainsAttributeCerts === true)
    return { problem: 'CRL covers only attribute certificates (RFC 5280 §6.3.3 (b)(2)(iv))' };
  if (idp?.onlyContainsUserCerts === true && isCa)
    return {
      problem: 'CRL covers only end-entity certificates and the certificate is a CA (RFC 5280 §6.3.3 (b)(2)(ii))',
    };
  if (idp?.onlyContainsCACerts === true && !isCa)
    return { problem: 'CRL covers only CA certificates and the certificate is not a CA (RFC 5280 §6.3.3 (b)(2)(iii))' };
  const idpReasons = idp?.reasons ?? ALL_REASONS;
  const idpNames = idp === undefined ? undefined : pointNameKeys(idp, crl.issuer);
  const sameIssuer = crl.issuer.normalized === certificate.issuer.normalized;
  let covered = 0;
  let matched = false;
  const misses: string[] = [];
  for (const point of certificate.extensions.crlDistributionPoints?.points ?? []) {
    // (b)(1): who must have issued the CRL for this distribution point.
    const crlIssuers = directoryNames(point.crlIssuer);
    let base = certificate.issuer;
    if (point.crlIssuer !== undefined) {
      const named = crlIssuers.find((name) => name.normalized === crl.issuer.normalized);
      if (named === undefined) continue;
      if (idp?.indirectCrl !== true) {
        misses.push(
          'the distribution point names this CRL issuer as cRLIssuer but the CRL is not indirect (RFC 5280 §6.3.3 (b)(1))',
        );
        continue;
      }
      base = named;
    } else if (!sameIssuer) {
      continue;
    }
    // (b)(2)(i): the issuing distribution point name must match the distribution point.
    if (idpNames !== undefined) {
      const names =
        pointNameKeys(point, base) ??
        (point.crlIssuer === undefined ? undefined : new Set(point.crlIssuer.map(generalNameKey)));
      if (names === undefined || !intersects(idpNames, names)) {
        misses.push(
          'CRL issuing distribution point does not match the certificate distribution point (RFC 5280 §6.3.3 (b)(2)(i))',
        );
        continue;
      }
    }
    matched = true;
    covered |=
      idpReasons &
      (point.reasonsHex === undefined ? ALL_REASONS : reasonMaskFromBytes(Buffer.from(point.reasonsHex, 'hex')));
  }
  if (!matched) {
    // A CRL whose issuing distribution point names no point covers every certificate of its
    // issuer (RFC 5280 §5.2.5), whichever distribution points the certificate lists.
    if (sameIssuer && idpNames === undefined)
      return idpReasons === 0 ? { problem: 'CRL covers no reason (RFC 5280 §6.3.3 (d))' } : idpReasons;
    if (idpNames !== undefined && (certificate.extensions.crlDistributionPoints?.points.length ?? 0) === 0) {
      return {
        problem: 'CRL is partitioned by distribution point and the certificate names none (RFC 5280 §6.3.3 (b)(2)(i))',
      };
    }
    return {
      problem:
        misses[0] ??
        'CRL issuer is not the certificate issuer nor a cRLIssuer of its distribution points (RFC 5280 §6.3.3 (b)(1))',
    };
  }
  if (covered === 0)
    return { problem: 'CRL covers none of the reasons of the certificate distribution point (RFC 5280 §6.3.3 (d))' };
  return covered;
}

function timeProblem(crl: ParsedCrl, context: RevocationContext): string | undefined {
  if (crl.thisUpdate.getTime() - context.clockSkewMs > context.time.getTime()) return 'CRL thisUpdate is in the future';
  if (
    crl.nextUpdate !== undefined &&
    crl.nextUpdate.getTime() + context.clockSkewMs + context.crlGraceMs < context.time.getTime()
  ) {
    return `CRL is past its nextUpdate ${crl.nextUpdate.toISOString()}${context.crlGraceMs > 0 ? ` and the ${context.crlGraceMs / 1000} s grace` : ''}`;
  }
  return undefined;
}

/**
 * CRL signature verdicts per CRL object and signer key. A CRL's signature covers all of its
 * entries (megabytes for a large CRL), so it is checked once per signer key, not once per request;
 * the memo lives as long as the parsed CRL does.
 */
const crlSignatureVerdicts = new WeakMap<ParsedCrl, Map<string, string | undefined>>();

function crlSignatureProblem(
  crl: ParsedCrl,
  signer: ParsedCertificate,
  algorithms: AlgorithmPolicy,
): string | undefined {
  let verdicts = crlSignatureVerdicts.get(crl);
  if (verdicts === undefined) {
    verdicts = new Map();
    crlSignatureVerdicts.set(crl, verdicts);
  }
  const key = `${Buffer.from(signer.subjectPublicKeyInfo.der).toString('base64')}|${JSON.stringify(algorithms)}`;
  if (verdicts.has(key)) return verdicts.get(key);
  const signature = verifySignature(
    crl.tbsDer,
    crl.signatureValue,
    crl.signatureAlgorithm,
    signer.subjectPublicKeyInfo,
    algorithms,
  );
  const problem = signature.ok ? undefined : `CRL signature: ${signature.detail}`;
  verdicts.set(key, problem);
  return problem;
}

function sameCertificate(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return a === b || Buffer.from(a.der).equals(Buffer.from(b.der));
}

/** RFC 5280 §6.3.3 (f)-(g): the certificate whose key signed `crl`, or why none qualifies. */
function crlSigner(
  crl: ParsedCrl,
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
  context: RevocationContext,
): ParsedCertificate | Unusable {
  const candidates: { signer: ParsedCertificate; inPath: boolean }[] = [];
  const add = (signer: ParsedCertificate, inPath: boolean): void => {
    if (signer.subject.normalized !== crl.issuer.normalized) return;
    // A certificate never vouches for its own status.
    if (sameCertificate(signer, certificate)) return;
    if (candidates.some((candidate) => sameCertificate(candidate.signer, signer))) return;
    candidates.push({ signer, inPath });
  };
  add(issuer, true);
  for (const above of context.pathAbove ?? []) add(above, true);
  for (const outside of context.signers?.candidates(crl.issuer) ?? []) add(outside, false);
  if (candidates.length === 0) {
    return { problem: `no certificate named ${crl.issuer.text} to verify the CRL with (RFC 5280 §6.3.3 (f))` };
  }
  const problems: string[] = [];
  for (const { signer, inPath } of candidates) {
    const ski = signer.extensions.subjectKeyIdentifier?.keyIdentifier;
    if (crl.authorityKeyIdentifier !== undefined && ski !== undefined && crl.authorityKeyIdentifier !== ski) {
      problems.push(
        `CRL authorityKeyIdentifier does not match the key of ${signer.subject.text}${inPath ? '' : ' (outside the path)'}, and no certificate of the signing key is at hand (RFC 5280 §6.3.3 (f))`,
      );
      continue;
    }
    const keyUsage = signer.extensions.keyUsage;
    if (keyUsage !== undefined && !keyUsage.usages.has('cRLSign')) {
      problems.push(
        inPath ? 'issuer key usage lacks cRLSign' : 'CRL signer key usage lacks cRLSign (RFC 5280 §6.3.3 (f))',
      );
      continue;
    }
    const signature = crlSignatureProblem(crl, signer, context.algorithms);
    if (signature !== undefined) {
      problems.push(signature);
      continue;
    }
    if (!inPath) {
      const path = context.signers?.pathProblem(signer);
      if (path !== undefined) {
        problems.push(`CRL signer ${signer.subject.text}: ${path} (RFC 5280 §6.3.3 (f))`);
        continue;
      }
    }
    return signer;
  }
  return { problem: [...new Set(problems)].join('; ') };
}

function crlNumberOf(crl: ParsedCrl): bigint {
  return BigInt(`0x${crl.crlNumber ?? '0'}`);
}

/** RFC 5280 §5.2.4, §6.3.3 (c): the newest delta CRL usable with `base`, if any. */
function deltaFor(base: UsableCrl, context: RevocationContext): ParsedCrl | undefined {
  const baseNumber = crlNumberOf(base.crl);
  let best: ParsedCrl | undefined;
  for (const delta of context.crls) {
    if (!delta.isDelta || delta.baseCrlNumber === undefined) continue;
    if (delta.issuer.normalized !== base.crl.issuer.normalized) continue;
    if ((delta.issuingDistributionPoint?.valueHex ?? '') !== (base.crl.issuingDistributionPoint?.valueHex ?? ''))
      continue;
    if (structureProblem(delta) !== undefined) continue;
    const deltaNumber = crlNumberOf(delta);
    if (BigInt(`0x${delta.baseCrlNumber}`) > baseNumber || deltaNumber <= baseNumber) continue;
    if (best !== undefined && deltaNumber <= crlNumberOf(best)) continue;
    if (timeProblem(delta, context) !== undefined) continue;
    if (crlSignatureProblem(delta, base.signer, context.algorithms) !== undefined) continue;
    best = delta;
  }
  return best;
}

function listed(entry: RevokedEntry | undefined): entry is RevokedEntry {
  return entry !== undefined && entry.reason !== 'removeFromCRL';
}

function revoked(entry: RevokedEntry, source: string): RevocationStatus {
  return {
    status: 'revoked',
    entry,
    detail: `serial ${entry.serialNumber} revoked ${entry.revocationDate.toISOString()}${entry.reason === undefined ? '' : ` (${entry.reason})`} on ${source}`,
  };
}

/** Revocation status of `certificate`, issued by `issuer`, from the CRLs of `context` (RFC 5280 §6.3.3). */
export function checkRevocation(
  certificate: ParsedCertificate,
  issuer: ParsedCertificate,
  context: RevocationContext,
): RevocationStatus {
  const problems: string[] = [];
  const usable: UsableCrl[] = [];
  for (const crl of context.crls) {
    if (crl.isDelta || !isCandidateCrl(crl, certificate)) continue;
    const structure = structureProblem(crl);
    if (structure !== undefined) {
      problems.push(structure);
      continue;
    }
    const scope = crlScope(crl, certificate);
    if (typeof scope !== 'number') {
      problems.push(scope.problem);
      continue;
    }
    const time = timeProblem(crl, context);
    if (time !== undefined) {
      problems.push(time);
      continue;
    }
    const signer = crlSigner(crl, certificate, issuer, context);
    if (!('der' in signer)) {
      problems.push(signer.problem);
      continue;
    }
    usable.push({ crl, reasons: scope, signer });
  }
  // Of several CRLs with one issuer and scope, only the newest speaks (an older one may still list a lifted hold).
  const newest = new Map<string, UsableCrl>();
  for (const candidate of usable) {
    const key = `${candidate.crl.issuer.normalized}|${candidate.crl.issuingDistributionPoint?.valueHex ?? ''}`;
    const current = newest.get(key);
    if (current === undefined || crlNumberOf(candidate.crl) > crlNumberOf(current.crl)) newest.set(key, candidate);
  }
  let reasonsMask = 0;
  let consulted = 0;
  for (const candidate of newest.values()) {
    const delta = deltaFor(candidate, context);
    const fromDelta = delta === undefined ? undefined : findRevokedEntry(delta, certificate);
    if (fromDelta !== undefined) {
      if (listed(fromDelta))
        return revoked(fromDelta, `delta CRL ${delta?.crlNumber ?? ''} of ${candidate.crl.issuer.text}`);
    } else {
      const entry = findRevokedEntry(candidate.crl, certificate);
      if (listed(entry)) return revoked(entry, `CRL ${candidate.crl.crlNumber ?? ''} of ${candidate.crl.issuer.text}`);
    }
    reasonsMask |= candidate.reasons;
    consulted += 1 + (delta === undefined ? 0 : 1);
  }
  if (reasonsMask === ALL_REASONS) return { status: 'good', detail: `not listed on ${consulted} valid CRL(s)` };
  const unused = [...new Set(problems)].join('; ');
  if (consulted > 0) {
    const uncovered = reasonMaskNames(ALL_REASONS & ~reasonsMask).join(', ');
    return {
      status: 'unknown',
      detail: `not listed on ${consulted} valid CRL(s), but they do not cover the reasons ${uncovered} (RFC 5280 §6.3.3 (k))${unused === '' ? '' : `; unusable: ${unused}`}`,
    };
  }
  return { status: 'unknown', detail: unused !== '' ? `no usable CRL: ${unused}` : 'no CRL from this issuer' };
}
