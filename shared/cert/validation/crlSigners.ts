/**
 * CRL signers outside the validated path (RFC 5280 §6.3.3 (f)): a CA's separate CRL-signing
 * certificate (same name, another key, cRLSign) or the issuer of an indirect CRL. Such a signer
 * counts only with its own valid path to the trust anchor of the path being validated; that path
 * is built from the same anchors and intermediates, and validated in full (its own revocation
 * included, but with signers of the path only: one level, so signer checks never recurse).
 * Pure; never throws on certificate input.
 * May import: ../x509/*, ./revocationCheck.js (types), ./pathValidation.js (types).
 */
import type { ParsedCertificate } from '../x509/certificate.js';
import type { DistinguishedName } from '../x509/names.js';
import type { PathValidationResult } from './pathValidation.js';
import type { CrlSignerSource } from './revocationCheck.js';
import type { AlgorithmCheck } from './signatureVerification.js';

/** What {@link crlSignerSource} searches with. */
export interface CrlSignerSearch {
  /** The trust anchor of the path whose certificates' CRLs are checked. */
  readonly anchor: ParsedCertificate;
  /** Anchors and intermediates with this subject name (comparison form). */
  readonly certificatesNamed: (
    normalizedName: string,
  ) => readonly { readonly certificate: ParsedCertificate; readonly anchor: boolean }[];
  readonly verifyIssuedBy: (child: ParsedCertificate, issuer: ParsedCertificate) => AlgorithmCheck;
  /** Full validation of `chain` (signer first) to `anchor`, with no EKU requirement and no further signer search. */
  readonly validate: (chain: ParsedCertificate[], anchor: ParsedCertificate) => PathValidationResult;
  /** Maximum certificates between the signer and the anchor. */
  readonly maxDepth: number;
  /** Bound on issuer candidates examined per signer. */
  readonly maxSteps: number;
}

function sameCertificate(a: ParsedCertificate, b: ParsedCertificate): boolean {
  return a === b || Buffer.from(a.der).equals(Buffer.from(b.der));
}

/** A {@link CrlSignerSource} for one trust anchor; path verdicts are memoised per signer. */
export function crlSignerSource(search: CrlSignerSearch): CrlSignerSource {
  const verdicts = new Map<ParsedCertificate, string | undefined>();
  const pathProblem = (signer: ParsedCertificate): string | undefined => {
    if (sameCertificate(signer, search.anchor)) return undefined;
    let steps = 0;
    let lastProblem = `no path to ${search.anchor.subject.text}`;
    const extend = (chain: ParsedCertificate[]): boolean => {
      const current = chain[chain.length - 1];
      if (current === undefined) return false;
      for (const candidate of search.certificatesNamed(current.issuer.normalized)) {
        steps += 1;
        if (steps > search.maxSteps) return false;
        if (candidate.anchor && !sameCertificate(candidate.certificate, search.anchor)) continue;
        if (chain.some((member) => sameCertificate(member, candidate.certificate))) continue;
        if (!search.verifyIssuedBy(current, candidate.certificate).ok) continue;
        if (candidate.anchor) {
          const result = search.validate([...chain], search.anchor);
          if (result.ok) return true;
          const failed = result.trace.find((entry) => entry.outcome === 'fail');
          lastProblem = `its path fails ${failed?.check ?? 'validation'} (${result.reason}${failed?.detail === undefined ? '' : `: ${failed.detail}`})`;
          continue;
        }
        if (chain.length > search.maxDepth) continue;
        chain.push(candidate.certificate);
        const found = extend(chain);
        chain.pop();
        if (found) return true;
      }
      return false;
    };
    return extend([signer]) ? undefined : lastProblem;
  };
  return {
    candidates: (name: DistinguishedName) =>
      search
        .certificatesNamed(name.normalized)
        .map((entry) => entry.certificate)
        .filter((certificate) => !sameCertificate(certificate, search.anchor)),
    pathProblem: (signer) => {
      if (!verdicts.has(signer)) verdicts.set(signer, pathProblem(signer));
      return verdicts.get(signer);
    },
  };
}
