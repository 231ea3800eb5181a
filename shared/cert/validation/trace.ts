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
}
