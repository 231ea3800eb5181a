/**
 * The login.microsoftonline.com half of the Graph stand-in: OpenID metadata, signing keys, and the
 * v2.0 token endpoint for the client-credentials grant, answering MSAL (and so @azure/identity's
 * ClientSecretCredential / EnvironmentCredential) the way Entra ID does, errors included
 * (`{error, error_description: "AADSTS…", error_codes}`). Tokens are RS256 JWTs for Microsoft Graph
 * (`aud` https://graph.microsoft.com) carrying the application permissions of the directory file
 * as `roles`; the Graph half verifies them with {@link EntraTokenService.verify}. Dev and test only.
 * May import: jose, node built-ins, ../tokens/signingKey.js.
 */
import { createPublicKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { generateDevSigningKey, type DevSigningKey } from '../tokens/signingKey.js';

/** The audience of Microsoft Graph access tokens. */
export const GRAPH_AUDIENCE = 'https://graph.microsoft.com';
/** Microsoft Graph's application id, the other audience form Entra writes into Graph tokens. */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** The only scope a client-credentials request for Graph may ask for. */
export const GRAPH_DEFAULT_SCOPE = 'https://graph.microsoft.com/.default';

const TOKEN_LIFETIME_SECONDS = 3599;
const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access']);

/** The registered application the stand-in issues tokens to. */
export interface StandInApplication {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly servicePrincipalId: string;
  readonly displayName: string;
  readonly roles: readonly string[];
}

/** An HTTP answer: status and JSON body. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a valid Graph token says about its caller. */
export interface GraphCaller {
  readonly appId: string;
  readonly roles: readonly string[];
}

/** Why a Graph token was refused (the message goes into Graph's 401 body). */
export class InvalidGraphToken extends Error {}

function entraError(status: number, error: string, code: number, description: string): JsonAnswer {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
    },
  };
}

/** Token issuing and checking for one tenant and one application. */
export class EntraTokenService {
  private readonly publicKey: KeyObject;

  private constructor(
    private readonly key: DevSigningKey,
    readonly origin: string,
    readonly tenantId: string,
    private readonly application: StandInApplication,
  ) {
    this.publicKey = createPublicKey(key.privateKey);
  }

  /** A service with a fresh in-memory signing key, for the stand-in at `origin` (e.g. `https://127.0.0.1:41234`). */
  static async create(origin: string, tenantId: string, application: StandInApplication): Promise<EntraTokenService> {
    return new EntraTokenService(await generateDevSigningKey(), origin, tenantId, application);
  }

  /** `iss` of the tokens, shaped like Entra's v2.0 issuer. */
  get issuer(): string {
    return `${this.origin}/${this.tenantId}/v2.0`;
  }

  /** `GET /{tenant}/v2.0/.well-known/openid-configuration` (what MSAL reads before asking for a token). */
  openIdConfiguration(tenantSegment: string): JsonAnswer {
    if (tenantSegment.toLowerCase() !== this.tenantId.toLowerCase()) {
      return entraError(400, 'invalid_tenant', 90002, `Tenant '${tenantSegment}' not found.`);
    }
    const base = `${this.origin}/${this.tenantId}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: this.issuer,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${this.origin}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid', 'roles'],
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
      },
    };
  }

  /** `GET /{tenant}/discovery/v2.0/keys`. */
  keys(): JsonAnswer {
    return { status: 200, body: { keys: [this.key.publicJwk] } };
  }

  /**
   * `GET /common/discovery/instance`: Entra's instance discovery, answered for this host. MSAL
   * itself sends that request to login.microsoftonline.com whatever the authority, so it only gets
   * here when a client is pointed at it explicitly; credentials for the stand-in switch instance
   * discovery off instead (`disableInstanceDiscovery: true`).
   */
  instanceDiscovery(): JsonAnswer {
    const host = new URL(this.origin).host;
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${this.origin}/${this.tenantId}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    };
  }

  /** `POST /{tenant}/oauth2/v2.0/token` with a form body: the client-credentials grant, checked like Entra does. */
  async token(tenantSegment: string, form: URLSearchParams, authorization: string | undefined): Promise<JsonAnswer> {
    if (tenantSegment.toLowerCase() !== this.tenantId.toLowerCase()) {
      return entraError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenantSegment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
      );
    }
    const grantType = form.get('grant_type');
    if (grantType !== 'client_credentials') {
      return entraError(
        400,
        'unsupported_grant_type',
        70003,
        `The app requested an unsupported grant type '${grantType ?? ''}'. The stand-in supports client_credentials only.`,
      );
    }
    let clientId = form.get('client_id');
    let clientSecret = form.get('client_secret');
    if (authorization?.toLowerCase().startsWith('basic ')) {
      const [basicId, basicSecret] = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(basicId ?? '');
      clientSecret = decodeURIComponent(basicSecret ?? '');
    }
    if (clientId === null || clientId === '') {
      return entraError(
        400,
        'invalid_request',
        900144,
        "The request body must contain the following parameter: 'client_id'.",
      );
    }
    if (clientId.toLowerCase() !== this.application.clientId.toLowerCase()) {
      return entraError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${this.tenantId}'.`,
      );
    }
    if (clientSecret === null || clientSecret === '') {
      return entraError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    if (clientSecret !== this.application.clientSecret) {
      return entraError(
        401,
        'invalid_client',
        7000215,
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
      );
    }
    const scopes = (form.get('scope') ?? '').split(' ').filter((scope) => scope !== '' && !OIDC_SCOPES.has(scope));
    if (scopes.length !== 1 || scopes[0] !== GRAPH_DEFAULT_SCOPE) {
      return entraError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scopes.join(' ')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI); the stand-in serves ${GRAPH_DEFAULT_SCOPE} only.`,
      );
    }
    const accessToken = await this.mint({ roles: this.application.roles });
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: TOKEN_LIFETIME_SECONDS,
        ext_expires_in: TOKEN_LIFETIME_SECONDS,
        access_token: accessToken,
      },
      headers: { 'cache-control': 'no-store, no-cache', pragma: 'no-cache' },
    };
  }

  /**
   * Signs a Graph access token for the application; `roles`, `audience` and `expiresInSeconds`
   * let tests make tokens Graph must refuse (a missing permission, another audience, expired).
   */
  async mint(
    options: {
      readonly roles?: readonly string[];
      readonly audience?: string;
      readonly expiresInSeconds?: number;
    } = {},
  ): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      aud: options.audience ?? GRAPH_AUDIENCE,
      iss: this.issuer,
      tid: this.tenantId,
      oid: this.application.servicePrincipalId,
      sub: this.application.servicePrincipalId,
      appid: this.application.clientId,
      azp: this.application.clientId,
      app_displayname: this.application.displayName,
      idtyp: 'app',
      ver: '2.0',
      uti: randomBytes(16).toString('base64url'),
      iat: now,
      nbf: now,
      exp: now + (options.expiresInSeconds ?? TOKEN_LIFETIME_SECONDS),
      roles: [...(options.roles ?? this.application.roles)],
    };
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.key.kid })
      .sign(this.key.privateKey);
  }

  /** Checks a bearer token for Graph: signature, issuer, audience, lifetime. Throws {@link InvalidGraphToken}. */
  async verify(authorization: string | undefined): Promise<GraphCaller> {
    if (authorization === undefined || !/^Bearer\s+\S+$/i.test(authorization))
      throw new InvalidGraphToken('Access token is empty.');
    const token = authorization.replace(/^Bearer\s+/i, '');
    try {
      const { payload } = await jwtVerify(token, this.publicKey, {
        issuer: this.issuer,
        audience: [GRAPH_AUDIENCE, GRAPH_APP_ID],
        algorithms: ['RS256'],
      });
      const roles = Array.isArray(payload.roles)
        ? payload.roles.filter((role): role is string => typeof role === 'string')
        : [];
      return { appId: typeof payload.appid === 'string' ? payload.appid : '', roles };
    } catch (error) {
      const code = error instanceof Error && 'code' in error ? String(error.code) : '';
      if (code === 'ERR_JWT_EXPIRED') throw new InvalidGraphToken('Lifetime validation failed, the token is expired.');
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED')
        throw new InvalidGraphToken('Access token validation failure. Invalid audience or issuer.');
      throw new InvalidGraphToken('Access token validation failure.');
    }
  }
}
