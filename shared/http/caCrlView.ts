/**
 * How the management API shows a CA's CRLs after it loaded them (a CA added, its CRL URLs
 * changed), and what it says about a CRL URL certgate cannot fetch.
 * May import: ports (types), the management view of a CA, the CRL cache (types), the revocation
 * policy's URL rules.
 */
import type { TrustedCa } from '../ports.js';
import type { CrlLoadOutcome } from '../trust/crlCache.js';
import { unsupportedCrlUrlNote } from '../trust/revocationPolicy.js';
import { caView } from './management.js';

/** The `detail` of a `crl-url-unsupported` answer: the URL and what to use instead. */
export function unsupportedCrlUrlDetail(url: string): string {
  return `${url}: ${unsupportedCrlUrlNote(url)}. Add the http:// URL of the same CRL instead`;
}

/**
 * A CA as the API shows it, with whether each of its CRLs loaded (`revocation.crls`) next to its
 * revocation policy, and a note when it has no distribution point certgate could fetch yet.
 */
export function caWithCrls(ca: TrustedCa, crls: readonly CrlLoadOutcome[]): Record<string, unknown> {
  const fetchable = crls.filter((crl) => !('skipped' in crl && crl.skipped));
  const note =
    fetchable.length === 0
      ? 'no http(s) CRL distribution point is configured (crlUrls) or named in the CA certificate: the ones client certificates name are fetched on first use'
      : fetchable.some((crl) => !crl.loaded)
        ? 'a CRL did not load: the background refresh retries every few minutes (GET /api/manage/revocation shows its state; POST /api/manage/revocation/refresh retries now)'
        : undefined;
  return { ...caView(ca), revocation: { ...ca.revocation, crls, ...(note ? { note } : {}) } };
}
