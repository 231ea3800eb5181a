/**
 * `GET /api/.well-known/jwks.json`: the public keys upstreams verify `X-Certgate-Assertion` with
 * (gate mode): the current signing key and, during a rotation, the previous one, each with its
 * `kid` (RFC 7638 thumbprint). Empty when no signing key is configured. Anonymous and cacheable
 * for five minutes: public keys are public, and a rotation publishes the new key beside the old.
 */
import { app, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { messageOf } from '../shared/errors.js';
import { onFirstUse } from '../shared/onFirstUse.js';

/** Loaded on the first call, not when the host imports the app (shared/onFirstUse.ts). */
const modules = onFirstUse(
  () => import('../shared/composition.js'),
  () => import('../shared/gate/assertionSigner.js'),
);

export async function jwks(_request: unknown, context: InvocationContext): Promise<HttpResponseInit> {
  const { getServices, assertionSignerFor } = modules.loaded ?? (await modules());
  let signer;
  try {
    signer = assertionSignerFor(getServices().config);
  } catch (error) {
    context.error(`jwks: configuration invalid: ${messageOf(error)}`);
    return {
      status: 503,
      jsonBody: { error: { code: 'config-invalid', message: 'certgate is not configured; see its log.' } },
      headers: { 'cache-control': 'no-store' },
    };
  }
  const keys = signer ? (await signer).jwks.keys : [];
  return {
    status: 200,
    jsonBody: { keys },
    headers: { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=300' },
  };
}

app.http('jwks', { methods: ['GET'], authLevel: 'anonymous', route: 'api/.well-known/jwks.json', handler: jwks });
