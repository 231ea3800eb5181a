/**
 * The validation trace: one entry per check and certificate, in the order the checks ran, so an
 * admin can see which part of validation failed and why.
 * May import: ./reasons.js.
 */
import type { CertificateReason } from './reasons.js';

/** The checks validation performs, in their fixed order per certificate. */
export type ValidationCheck =
  | 'parse'
  | 'leaf-profile'
  | 'path-building'
  | 'signature'
  | 'key-strength'
  | 'validity'
  | 'structure'
  | 'critical-extensions'
  | 'basic-constraints'
  | 'path-length'
  | 'key-usage'
  | 'name-constraints'
  | 'extended-key-usage'
  | 'policies'
  | 'revocation';

/** One trace entry. `certificate` is a position label: `leaf`, `intermediate[1]` (the leaf's issuer), … or `anchor`. */
export interface TraceEntry {
  readonly check: ValidationCheck;
  readonly certificate: string;
  readonly outcome: 'pass' | 'fail' | 'skip';
  readonly reason?: CertificateReason;
  readonly detail?: string;
  /**
   * On a failure: the rule that failed, e.g. `RFC 5280 §6.1.4 (l)`, or the certgate policy that
   * goes beyond the RFC (`certgate maxChainDepth`).
   */
  readonly rule?: string;
}

/** The RFC 5280 step (or certgate rule) each check implements, for a failure that names no finer step. */
const RULE_OF_CHECK: Readonly<Record<ValidationCheck, string>> = {
  parse: 'RFC 5280 §4.1 (certificate syntax, DER)',
  'leaf-profile': 'certgate client-certificate profile (the leaf is an end-entity certificate)',
  'path-building': 'RFC 5280 §6.1 (a path from the leaf to a trust anchor, §6.1.3 (a)(4) name chaining)',
  signature: 'RFC 5280 §6.1.3 (a)(1)',
  'key-strength': 'RFC 5280 §6.1.3 (a)(1) with the certgate algorithm policy',
  validity: 'RFC 5280 §6.1.3 (a)(2)',
  structure: 'RFC 5280 §4.1-4.2 (certificate profile)',
  'critical-extensions': 'RFC 5280 §6.1.4 (o) / §6.1.5 (f) (unrecognised critical extension)',
  'basic-constraints': 'RFC 5280 §6.1.4 (k)',
  'path-length': 'RFC 5280 §6.1.4 (l)-(m)',
  'key-usage': 'RFC 5280 §6.1.4 (n)',
  'name-constraints': 'RFC 5280 §6.1.3 (b)-(c)',
  'extended-key-usage': 'RFC 5280 §4.2.1.12 (extended key usage, constrained by every CA as in the Web PKI)',
  policies: 'RFC 5280 §6.1.3 (d)-(f), §6.1.4 (a)-(b), (h)-(j), §6.1.5 (a)-(b), (g)',
  revocation: 'RFC 5280 §6.1.3 (a)(3), §6.3',
};

/** The rule a failed `check` implements, for `reason` (algorithm refusals and path-length are finer). */
export function ruleOf(check: ValidationCheck, reason?: CertificateReason): string {
  if (
    reason === 'certificate-signature-algorithm-weak' ||
    reason === 'certificate-signature-algorithm-unsupported' ||
    reason === 'certificate-algorithm-dsa-refused'
  ) {
    return 'RFC 5280 §6.1.3 (a)(1) with the certgate algorithm policy';
  }
  if (reason === 'certificate-signature-invalid' || reason === 'certificate-key-invalid')
    return 'RFC 5280 §6.1.3 (a)(1)';
  if (reason === 'certificate-path-too-long') return 'certgate maxChainDepth (intermediates that are not self-issued)';
  if (reason === 'certificate-path-building-exhausted') return 'certgate maxPathBuildingSteps';
  if (reason === 'certificate-untrusted') return 'RFC 5280 §6.1 (no path to a trust anchor)';
  return RULE_OF_CHECK[check];
}
