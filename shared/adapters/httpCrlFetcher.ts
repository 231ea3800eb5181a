/**
 * Fetches revocation data over HTTP(S): a CRL from a distribution point URL, with a time-out, a size
 * cap enforced while streaming (a huge or endless body is cut off, not buffered), and conditional
 * requests (`If-None-Match` / `If-Modified-Since`) so an unchanged CRL costs a 304.
 * May import: node built-ins (global fetch), ports.
 */
import type { CrlFetcher, CrlFetchResult } from '../ports.js';
import { messageOf } from '../errors.js';

/** Limits of {@link HttpCrlFetcher}. */
export interface CrlFetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

/** Fetches CRLs with Node's fetch. Only http: and https: URLs are fetched (no file:, no ldap:). */
export class HttpCrlFetcher implements CrlFetcher {
  constructor(private readonly limits: CrlFetchLimits = { timeoutMs: 10_000, maxBytes: 50 * 1024 * 1024 }) {}

  async fetch(url: string, previous?: { etag?: string; lastModified?: string }): Promise<CrlFetchResult> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { kind: 'failed', reason: 'crl-url-unsupported', detail: `not a URL: ${url}` };
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return {
        kind: 'failed',
        reason: 'crl-url-unsupported',
        detail: `${parsed.protocol} distribution points are not fetched`,
      };
    }
    const headers: Record<string, string> = { accept: 'application/pkix-crl, application/x-pkcs7-crl, */*' };
    if (previous?.etag) headers['if-none-match'] = previous.etag;
    if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
    let response: Response;
    try {
      response = await fetch(parsed, {
        headers,
        signal: AbortSignal.timeout(this.limits.timeoutMs),
        redirect: 'follow',
      });
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return { kind: 'failed', reason: timedOut ? 'crl-fetch-timeout' : 'crl-fetch-failed', detail: messageOf(error) };
    }
    if (response.status === 304) return { kind: 'not-modified' };
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      return { kind: 'failed', reason: 'crl-fetch-failed', detail: `HTTP ${response.status}` };
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > this.limits.maxBytes) {
      await response.body.cancel();
      return {
        kind: 'failed',
        reason: 'crl-too-large',
        detail: `${declared} bytes declared, cap ${this.limits.maxBytes}`,
      };
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > this.limits.maxBytes) {
          await response.body.cancel().catch(() => undefined);
          return { kind: 'failed', reason: 'crl-too-large', detail: `over the cap of ${this.limits.maxBytes} bytes` };
        }
        chunks.push(chunk);
      }
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      return { kind: 'failed', reason: timedOut ? 'crl-fetch-timeout' : 'crl-fetch-failed', detail: messageOf(error) };
    }
    const etag = response.headers.get('etag');
    const lastModified = response.headers.get('last-modified');
    return {
      kind: 'fetched',
      bytes: Buffer.concat(chunks),
      ...(etag ? { etag } : {}),
      ...(lastModified ? { lastModified } : {}),
    };
  }
}
