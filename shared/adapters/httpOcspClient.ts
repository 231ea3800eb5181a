/**
 * Asks OCSP responders over HTTP (RFC 6960 Appendix A): POST with `application/ocsp-request`, or GET
 * with the URL-encoded base64 request appended to the URL for small requests when asked to (GET
 * responses can be cached by CDNs in front of responders). A time-out covers the whole exchange and
 * a size cap is enforced while streaming, so a slow, huge or endless body is cut off, not buffered.
 * Only an HTTP 200 counts as a response; the body is returned unevaluated (see
 * `shared/cert/revocation/ocsp.ts`).
 * May import: node built-ins (global fetch), shared/cert/revocation/ocspTransport.js (types).
 */
import type { OcspQueryResult, OcspResponderClient } from '../cert/revocation/ocspTransport.js';
import { messageOf } from '../errors.js';

/** Options of {@link HttpOcspClient}. */
export interface HttpOcspClientOptions {
  /** Time-out for the whole exchange, headers and body. Default 5 000 ms. */
  readonly timeoutMs?: number;
  /** Largest response body accepted. Default 64 KiB. */
  readonly maxBytes?: number;
  /**
   * Use GET when the encoded request keeps the URL under 255 characters (RFC 5019 §5); POST
   * otherwise. Default false: POST always, which every responder supports.
   */
  readonly preferGet?: boolean;
}

const GET_URL_LIMIT = 255;

/** Queries OCSP responders with Node's fetch. Only http: and https: URLs are queried. */
export class HttpOcspClient implements OcspResponderClient {
  private readonly timeoutMs: number;
  private readonly maxBytes: number;
  private readonly preferGet: boolean;

  constructor(options: HttpOcspClientOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 5_000;
    this.maxBytes = options.maxBytes ?? 64 * 1024;
    this.preferGet = options.preferGet ?? false;
  }

  /** Sends `requestDer` to `url`; never throws. */
  async query(url: string, requestDer: Uint8Array): Promise<OcspQueryResult> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return { kind: 'failed', reason: 'ocsp-url-unsupported', detail: `not a URL: ${url}` };
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return {
        kind: 'failed',
        reason: 'ocsp-url-unsupported',
        detail: `${parsed.protocol} responders are not queried`,
      };
    }
    const signal = AbortSignal.timeout(this.timeoutMs);
    const getUrl = this.preferGet ? getRequestUrl(url, requestDer) : undefined;
    let response: Response;
    try {
      response = getUrl
        ? await fetch(getUrl, {
            method: 'GET',
            headers: { accept: 'application/ocsp-response' },
            signal,
            redirect: 'follow',
          })
        : await fetch(parsed, {
            method: 'POST',
            headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
            body: requestDer,
            signal,
            redirect: 'follow',
          });
    } catch (error) {
      return transportFailure(error);
    }
    if (response.status !== 200 || !response.body) {
      await response.body?.cancel().catch(() => undefined);
      return { kind: 'failed', reason: 'ocsp-fetch-failed', detail: `HTTP ${response.status}` };
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > this.maxBytes) {
      await response.body.cancel().catch(() => undefined);
      return {
        kind: 'failed',
        reason: 'ocsp-response-too-large',
        detail: `${declared} bytes declared, cap ${this.maxBytes}`,
      };
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > this.maxBytes) {
          await response.body.cancel().catch(() => undefined);
          return {
            kind: 'failed',
            reason: 'ocsp-response-too-large',
            detail: `over the cap of ${this.maxBytes} bytes`,
          };
        }
        chunks.push(chunk);
      }
    } catch (error) {
      return transportFailure(error);
    }
    return { kind: 'response', der: new Uint8Array(Buffer.concat(chunks)) };
  }
}

/** RFC 6960 Appendix A.1: `{url}/{url-encoding of base64 encoding of the DER OCSPRequest}`; undefined when too long. */
function getRequestUrl(url: string, requestDer: Uint8Array): string | undefined {
  const encoded = encodeURIComponent(Buffer.from(requestDer).toString('base64'));
  const full = `${url.endsWith('/') ? url : `${url}/`}${encoded}`;
  return full.length < GET_URL_LIMIT ? full : undefined;
}

function transportFailure(error: unknown): OcspQueryResult {
  const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return {
    kind: 'failed',
    reason: timedOut ? 'ocsp-fetch-timeout' : 'ocsp-fetch-failed',
    detail: `${messageOf(error)}${cause}`,
  };
}
