/**
 * OCSP answers for certificates the CRLs say nothing about. The request path asks `lookup`
 * (synchronous, from memory) while validating; when a certificate with an OCSP responder in its
 * AIA has no answer yet, `prefetch` asks the responder(s) once (single flight per certificate,
 * bounded by the client's time-out) and keeps the verified answer until its nextUpdate (an hour
 * at most when the responder gives none), an unusable answer for a minute. Signed, fresh and
 * matching answers only: `evaluateOcspResponse` checks all of that.
 * May import: node:crypto, ports, the cert core.
 */
import { parseCertificates, type RevocationStatus } from '../cert/validation/index.js';
import type { OcspVerdict } from '../cert/revocation/ocsp.js';
import type { OcspResponderClient } from '../cert/revocation/ocspTransport.js';
import { createHash, randomBytes } from 'node:crypto';

interface Answer {
  readonly verdict: OcspVerdict;
  readonly expiresAt: number;
}

const MAX_GOOD_MS = 3_600_000;
const UNUSABLE_MS = 60_000;

function keyOf(certificateDer: Uint8Array, issuerDer: Uint8Array): string {
  return createHash('sha256').update(certificateDer).update(issuerDer).digest('base64');
}

/** Cached OCSP answers, fetched off the validation itself. */
export class OcspCache {
  private readonly answers = new Map<string, Answer>();
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(
    private readonly client: OcspResponderClient,
    private readonly options: { maxEntries: number; clockSkewSeconds: number } = {
      maxEntries: 10_000,
      clockSkewSeconds: 300,
    },
  ) {}

  /** The http(s) OCSP responders the certificate names in its AIA (read with certgate's own parser). */
  static responderUrls(certificateDer: Uint8Array): string[] {
    const parsed = parseCertificates(certificateDer);
    if (!parsed.ok || !parsed.certificates[0]) return [];
    return (parsed.certificates[0].extensions.authorityInfoAccess?.ocsp ?? []).filter((url) =>
      /^https?:\/\//i.test(url),
    );
  }

  /** Whether the certificate names an OCSP responder certgate can ask. */
  static hasResponder(certificateDer: Uint8Array): boolean {
    return OcspCache.responderUrls(certificateDer).length > 0;
  }

  /** The cached answer as a revocation status, or undefined when there is none usable at `now`. */
  lookup(certificateDer: Uint8Array, issuerDer: Uint8Array, now: Date): RevocationStatus | undefined {
    const answer = this.answers.get(keyOf(certificateDer, issuerDer));
    if (!answer || answer.expiresAt <= now.getTime()) return undefined;
    const { verdict } = answer;
    if (verdict.status === 'good')
      return { status: 'good', detail: `OCSP: good (thisUpdate ${verdict.thisUpdate?.toISOString() ?? '?'})` };
    if (verdict.status === 'revoked') {
      const revokedAt = verdict.revokedAt ?? now;
      return {
        status: 'revoked',
        entry: { serialNumber: '', revocationDate: revokedAt, reason: verdict.revocationReason, certificateIssuer: '' },
        detail: `OCSP: revoked ${revokedAt.toISOString()}${verdict.revocationReason ? ` (${verdict.revocationReason})` : ''}`,
      };
    }
    return undefined;
  }

  /** The last verdict held for the certificate (for traces and tests), fresh or not. */
  verdictOf(certificateDer: Uint8Array, issuerDer: Uint8Array): OcspVerdict | undefined {
    return this.answers.get(keyOf(certificateDer, issuerDer))?.verdict;
  }

  /** Asks the certificate's responders unless a usable answer is cached; never throws. */
  prefetch(certificateDer: Uint8Array, issuerDer: Uint8Array, now: Date): Promise<void> {
    const key = keyOf(certificateDer, issuerDer);
    const cached = this.answers.get(key);
    if (cached && cached.expiresAt > now.getTime()) return Promise.resolve();
    let running = this.inFlight.get(key);
    if (!running) {
      running = this.ask(key, certificateDer, issuerDer, now).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, running);
    }
    return running;
  }

  private async ask(key: string, certificateDer: Uint8Array, issuerDer: Uint8Array, now: Date): Promise<void> {
    let verdict: OcspVerdict | undefined;
    try {
      // Loaded on first use: most deployments (CRLs only) never ask a responder.
      const { buildOcspRequest, evaluateOcspResponse } = await import('../cert/revocation/ocsp.js');
      const nonce = new Uint8Array(randomBytes(16));
      const request = buildOcspRequest({ certDer: certificateDer, issuerDer, nonce });
      for (const url of OcspCache.responderUrls(certificateDer)) {
        const result = await this.client.query(url, request.der);
        if (result.kind === 'failed') continue;
        verdict = evaluateOcspResponse({
          responseDer: result.der,
          certId: request.certId,
          issuerDer,
          now,
          nonce,
          clockSkewSeconds: this.options.clockSkewSeconds,
        });
        if (verdict.status !== 'unknown') break;
      }
    } catch {
      verdict = undefined;
    }
    if (!verdict) return;
    const until =
      verdict.status === 'unknown'
        ? now.getTime() + UNUSABLE_MS
        : Math.min(verdict.nextUpdate?.getTime() ?? Number.POSITIVE_INFINITY, now.getTime() + MAX_GOOD_MS);
    this.answers.set(key, { verdict, expiresAt: until });
    if (this.answers.size > this.options.maxEntries) {
      const oldest = this.answers.keys().next().value;
      if (oldest !== undefined) this.answers.delete(oldest);
    }
  }
}
