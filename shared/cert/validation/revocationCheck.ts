/**
 * CRL-based revocation status of one certificate (RFC 5280 §6.3, direct CRLs): picks the CRLs
 * issued by the certificate's issuer, verifies each CRL's signature with the issuer key (cRLSign
 * required when the issuer has a keyUsage), its time window, its scope (issuing distribution
 * point) and its mandatory cRLNumber, then looks the serial up.
 * Indirect CRLs and delta CRLs are not used (documented in docs/conformance.md).
 * May import: ../x509/*, ../revocation/*, ./signatureVerification.js.
 */
import { findRevokedEntry, type ParsedCrl, type RevokedEntry } from '../revocation/crl.js';
import type { ParsedCertificate } from '../x509/certificate.js';
import { verifySignature, type AlgorithmPolicy } from './signatureVerification.js';

/** Revocation status of one certificate. */
export type RevocationStatus =
  | { readonly status: 'good'; readonly detail: string }
  | { readonly status: 'revoked'; readonly entry: RevokedEntry; readonly detail: string }
  | { readonly status: 'unknown'; readonly detail: string };

/** Inputs to {@link checkRevocation}. */
export interface RevocationContext {
  readonly crls: readonly ParsedCrl[];
  readonly time: Date;
  readonly clockSkewMs: number;
  /** How long past its nextUpdate a CRL still counts (the CDP may be briefly late or down). */
  readonly crlGraceMs: number;
  readonly algorithms: AlgorithmPolicy;
}

function uris(names: readonly { kind: string; value?: string }[] | undefined): string[] {
  return (names ?? []).filter((name) => name.kind === 'uniformResourceIdentifier').map((name) => name.value ?? '');
}

/**
 * CRL signature verdicts per CRL object and issuer key. A CRL's signature covers all of its
 * entries (megabytes for a large CRL), so it is checked once per issuer key, not once per request;
 * the memo lives as long as the parsed CRL does.
 */
const crlSignatureVerdicts = new WeakMap<ParsedCrl, Map<string, string | undefined>>();

function crlSignatureProblem(crl: ParsedCrl, issuer: ParsedCertificate, algorithms: AlgorithmPolicy): string | undefined {
  let verdicts = crlSignatureVerdicts.get(crl);
  if (verdicts === undefined) {
    verdicts = new Map();
    crlSignatureVerdicts.set(crl, verdicts);
  }
  const key = `${Buffer.from(issuer.subjectPublicKeyInfo.der).toString('base64')}|${JSON.stringify(algorithms)}`;
  if (verdicts.has(key)) return verdicts.get(key);
  const signature = verifySignature(crl.tbsDer, crl.signatureValue, crl.signatureAlgorithm, issuer.subjectPublicKeyInfo, algorithms);
  const problem = signature.ok ? undefined : `CRL signature: ${signature.detail}`;
  verdicts.set(key, problem);
  return problem;
}

function unusableReason(crl: ParsedCrl, certificate: ParsedCertificate, issuer: ParsedCertificate, isCa: boolean, context: RevocationContext): string | undefined {
  if (crl.isDelta) return 'delta CRL';
  if (crl.unknownCriticalExtensions.length > 0) return `unknown critical CRL extension ${crl.unknownCriticalExtensions.join(', ')}`;
  if (crl.crlNumber === undefined) return 'CRL has no cRLNumber (RFC 5280 §5.2.3)';
  if (crl.crlNumberCritical) return 'CRL cRLNumber is critical (RFC 5280 §5.2.3)';
  const issuerSki = issuer.extensions.subjectKeyIdentifier?.keyIdentifier;
  if (crl.authorityKeyIdentifier !== undefined && issuerSki !== undefined && crl.authorityKeyIdentifier !== issuerSki) return 'CRL authority key identifier does not match the issuer';
  const keyUsage = issuer.extensions.keyUsage;
  if (keyUsage !== undefined && !keyUsage.usages.has('cRLSign')) return 'issuer key usage lacks cRLSign';
  const idp = crl.issuingDistributionPoint;
  if (idp !== undefined) {
    if (idp.indirectCrl) return 'indirect CRL';
    if (idp.onlySomeReasons) return 'CRL covers only some reasons';
    if (idp.onlyContainsAttributeCerts) return 'CRL covers only attribute certificates';
    if (idp.onlyContainsUserCerts && isCa) return 'CRL covers only end-entity certificates';
    if (idp.onlyContainsCACerts && !isCa) return 'CRL covers only CA certificates';
    const idpUris = uris(idp.fullName);
    const points = certificate.extensions.crlDistributionPoints?.points ?? [];
    const certificateUris = points.flatMap((point) => uris(point.fullName));
    if (idpUris.length > 0 && certificateUris.length > 0 && !idpUris.some((uri) => certificateUris.includes(uri))) return 'CRL distribution point does not match the certificate';
  }
  if (crl.thisUpdate.getTime() - context.clockSkewMs > context.time.getTime()) return 'CRL thisUpdate is in the future';
  if (crl.nextUpdate !== undefined && crl.nextUpdate.getTime() + context.clockSkewMs + context.crlGraceMs < context.time.getTime()) {
    return `CRL is past its nextUpdate ${crl.nextUpdate.toISOString()}${context.crlGraceMs > 0 ? ` and the ${context.crlGraceMs / 1000} s grace` : ''}`;
  }
  return crlSignatureProblem(crl, issuer, context.algorithms);
}

/** Revocation status of `certificate`, issued by `issuer`, from the given CRLs. */
export function checkRevocation(certificate: ParsedCertificate, issuer: ParsedCertificate, isCa: boolean, context: RevocationContext): RevocationStatus {
  const problems: string[] = [];
  let usable = 0;
  for (const crl of context.crls) {
    if (crl.issuer.normalized !== certificate.issuer.normalized) continue;
    const problem = unusableReason(crl, certificate, issuer, isCa, context);
    if (problem !== undefined) {
      problems.push(problem);
      continue;
    }
    usable += 1;
    const entry = findRevokedEntry(crl, certificate);
    if (entry !== undefined) {
      return { status: 'revoked', entry, detail: `serial ${entry.serialNumber} revoked ${entry.revocationDate.toISOString()}${entry.reason === undefined ? '' : ` (${entry.reason})`}` };
    }
  }
  if (usable > 0) return { status: 'good', detail: `not listed on ${usable} valid CRL(s)` };
  return { status: 'unknown', detail: problems.length > 0 ? `no usable CRL: ${problems.join('; ')}` : 'no CRL from this issuer' };
}
