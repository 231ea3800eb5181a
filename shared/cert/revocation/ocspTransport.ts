/**
 * The port through which the revocation checker asks an OCSP responder: one request in, the DER
 * response bytes (or why there are none) out. Implemented by `shared/adapters/httpOcspClient.ts`
 * over HTTP; tests use the same adapter against the loopback responder in `dev/ocsp/`.
 * (A candidate for `shared/ports.ts` when the lead wires revocation in.)
 * May import: ./ocspReasons.js (types only).
 */
import type { OcspTransportReason } from './ocspReasons.js';

/** The outcome of one OCSP query: the raw response (still to be evaluated) or a transport failure. */
export type OcspQueryResult =
  | { readonly kind: 'response'; readonly der: Uint8Array }
  | { readonly kind: 'failed'; readonly reason: OcspTransportReason; readonly detail: string };

/** Sends a DER OCSPRequest to a responder URL. Never throws: failures are results. */
export interface OcspResponderClient {
  query(url: string, requestDer: Uint8Array): Promise<OcspQueryResult>;
}
