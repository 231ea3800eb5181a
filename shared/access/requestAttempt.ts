/**
 * An HTTP request as an access attempt: the forwarded certificate and client context read behind
 * the trust boundary (intake), the app the proven gateway may name, the correlation id, and the
 * headers the user is read from. Transport types stay here; the pipeline sees the attempt.
 * May import: intake, the gateway settings, the pipeline's types.
 */
import { forwardedRequestOf, readForwardedRequest } from '../cert/intake/index.js';
import type { AppConfig } from '../config.js';
import { appHintOf, gatewayConfigs } from '../gateways.js';
import type { AccessAttempt, HeaderReader } from './decideAccess.js';

/** What a trigger hands over: the shape `@azure/functions`' HttpRequest has (and a plain object can have). */
export interface IncomingRequest {
  readonly url: string;
  readonly headers: HeaderReader;
  readonly query: { getAll(name: string): string[] };
}

/** The attempt a request makes, read once (each gateway's proof checked once for everything forwarded). */
export function accessAttemptOf(
  request: IncomingRequest,
  config: AppConfig,
  now: Date,
  correlationId: string,
): AccessAttempt {
  const forwarded = forwardedRequestOf(request.headers, request.url);
  const gateways = gatewayConfigs(config);
  const { intake, client } = readForwardedRequest(forwarded, gateways);
  const appHint = appHintOf(forwarded, request.query, gateways, config);
  // One literal, absent fields undefined: conditional spreads are slow per request.
  return {
    intake,
    client,
    appHint,
    identity: { headers: request.headers },
    correlationId,
    now,
    peerAddress: forwarded.remoteAddress,
  };
}
