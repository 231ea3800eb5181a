/**
 * A stand-in for the Entra ID token endpoint metadata on loopback: serves OpenID discovery and a
 * JWKS over HTTP and mints RS256 access tokens shaped like Entra v2 tokens, so the verifier runs
 * against real HTTP and real signatures in the local stack and the tests. Routes (GET only):
 *   /.well-known/openid-configuration, /<tenant>/v2.0/.well-known/openid-configuration
 *   /discovery/v2.0/keys, /<tenant>/discovery/v2.0/keys
 * Dev and test only: binds loopback addresses only.
 * May import: jose, node built-ins, ./signingKey.js.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { generateDevSigningKey, loadOrCreateDevSigningKey, type DevSigningKey } from './signingKey.js';
import { listenOn } from '../listen.js';

/** Tenant id the local stack uses. */
export const DEV_TENANT_ID = '72f988bf-0000-4000-8000-00000000c0de';

/** Audience (App ID URI) the local stack's certgate accepts. */
export const DEV_TOKEN_AUDIENCE = 'api://certgate-dev';

/** Client id put into `azp` of dev tokens (the "calling application"). */
export const DEV_CLIENT_APP_ID = '0d1e2f30-4a5b-4c6d-8e7f-00000000c11e';

/** File written next to the key when `keyDir` is given: what `mint.ts` needs to produce matching tokens. */
export const DEV_ISSUER_METADATA_FILE = 'issuer.json';

/** Options of {@link startDevTokenIssuer}. */
export interface DevTokenIssuerOptions {
  /** A loopback address (default `127.0.0.1`). */
  readonly host?: string;
  /** Port, 0 for any free one (default 0). */
  readonly port?: number;
  readonly tenantId: string;
  /** `iss` of the tokens; default `http://<host>:<port>/<tenantId>/v2.0`, shaped like Entra's. */
  readonly issuer?: string;
  /** Signing key; default: the key persisted in `keyDir`, else a fresh in-memory key. */
  readonly signingKey?: DevSigningKey;
  /** Directory of the persisted key (see `loadOrCreateDevSigningKey`); the issuer metadata is written there too. */
  readonly keyDir?: string;
}

/** Claims of a dev token; the issuer adds iss, tid, ver, iat, nbf, exp, uti, sub. */
export interface DevTokenClaims {
  /** Object id of the user or service principal. */
  readonly oid: string;
  /** User principal name; also written as `preferred_username`. Omit for an application token. */
  readonly upn?: string;
  readonly name?: string;
  /** App role values, e.g. `Certgate.Admin`. */
  readonly roles?: readonly string[];
  /** Group object ids. */
  readonly groups?: readonly string[];
  readonly audience: string;
  /** Lifetime in seconds (default 3600). */
  readonly expiresInSeconds?: number;
  /** `iat` and `nbf` (default: now). Lets tests pin token times instead of reading the clock. */
  readonly issuedAt?: Date;
  /** `nbf` when it should differ from `issuedAt`. */
  readonly notBefore?: Date;
  /** `user` (default: `scp` and `idtyp: user`) or `app` (`idtyp: app`, no `scp`). */
  readonly kind?: 'user' | 'app';
  /** Delegated scopes for a user token (default `user_impersonation`). */
  readonly scopes?: readonly string[];
  /** `azp`: the client application (default {@link DEV_CLIENT_APP_ID}). */
  readonly appId?: string;
}

/** A running dev token issuer. */
export interface DevTokenIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tenantId: string;
  /** Base URL, e.g. `http://127.0.0.1:53123`. */
  readonly url: string;
  readonly signingKey: DevSigningKey;
  /** Sign an access token with the issuer's key. */
  mint(claims: DevTokenClaims): Promise<string>;
  close(): Promise<void>;
}

/** Where `mint.ts` finds the running issuer's identity. */
export interface DevIssuerMetadata {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly tenantId: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  response.end(text);
}

/** A stable pairwise `sub` per user and audience, as Entra derives one. */
function pairwiseSubject(oid: string, audience: string): string {
  return createHash('sha256').update(`${oid}|${audience}`).digest('base64url').slice(0, 43);
}

/**
 * Sign a dev access token with `signingKey` for `issuer` / `tenantId`. Used by the issuer and by
 * the mint CLI (which has no server).
 */
export async function mintDevToken(
  signingKey: DevSigningKey,
  issuer: string,
  tenantId: string,
  claims: DevTokenClaims,
): Promise<string> {
  const issuedAt = claims.issuedAt ?? new Date();
  const iat = Math.floor(issuedAt.getTime() / 1000);
  const nbf = claims.notBefore === undefined ? iat : Math.floor(claims.notBefore.getTime() / 1000);
  const kind = claims.kind ?? 'user';
  const payload: Record<string, unknown> = {
    aud: claims.audience,
    iss: issuer,
    tid: tenantId,
    oid: claims.oid,
    sub: pairwiseSubject(claims.oid, claims.audience),
    azp: claims.appId ?? DEV_CLIENT_APP_ID,
    azpacr: '0',
    idtyp: kind,
    ver: '2.0',
    uti: randomBytes(16).toString('base64url'),
    iat,
    nbf,
    exp: iat + (claims.expiresInSeconds ?? 3600),
  };
  if (claims.upn !== undefined) {
    payload.upn = claims.upn;
    payload.preferred_username = claims.upn;
  }
  if (claims.name !== undefined) payload.name = claims.name;
  if (claims.roles !== undefined && claims.roles.length > 0) payload.roles = [...claims.roles];
  if (claims.groups !== undefined) payload.groups = [...claims.groups];
  if (kind === 'user') payload.scp = (claims.scopes ?? ['user_impersonation']).join(' ');
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: signingKey.kid })
    .sign(signingKey.privateKey);
}

/** Start the issuer on loopback. */
export async function startDevTokenIssuer(options: DevTokenIssuerOptions): Promise<DevTokenIssuer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`the dev token issuer binds loopback only, not ${host}`);
  const signingKey =
    options.signingKey ??
    (options.keyDir === undefined ? await generateDevSigningKey() : await loadOrCreateDevSigningKey(options.keyDir));
  const { tenantId } = options;
  const server = createServer();
  const url = `http://${await listenOn(server, options.port ?? 0, host)}`;
  const issuer = options.issuer ?? `${url}/${tenantId}/v2.0`;
  const jwksUri = `${url}/${tenantId}/discovery/v2.0/keys`;
  // Registered in the same tick as the listen callback resumes us, before any request is read.
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      json(response, 405, { error: 'method not allowed' });
      return;
    }
    const path = new URL(request.url ?? '/', url).pathname;
    if (path === '/.well-known/openid-configuration' || path === `/${tenantId}/v2.0/.well-known/openid-configuration`) {
      json(response, 200, {
        issuer,
        jwks_uri: jwksUri,
        token_endpoint: `${url}/${tenantId}/oauth2/v2.0/token`,
        authorization_endpoint: `${url}/${tenantId}/oauth2/v2.0/authorize`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        subject_types_supported: ['pairwise'],
      });
      return;
    }
    if (path === '/discovery/v2.0/keys' || path === `/${tenantId}/discovery/v2.0/keys`) {
      json(response, 200, { keys: [signingKey.publicJwk] });
      return;
    }
    json(response, 404, { error: 'not found' });
  });
  if (options.keyDir !== undefined) {
    const written: DevIssuerMetadata = { issuer, jwksUri, tenantId };
    await mkdir(options.keyDir, { recursive: true });
    await writeFile(join(options.keyDir, DEV_ISSUER_METADATA_FILE), `${JSON.stringify(written, null, 2)}\n`);
  }
  return {
    issuer,
    jwksUri,
    tenantId,
    url,
    signingKey,
    mint: (claims) => mintDevToken(signingKey, issuer, tenantId, claims),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
