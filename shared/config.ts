/**
 * The app's settings: `process.env` read once at start-up into a typed, frozen object.
 *
 * A missing or malformed setting stops start-up with a message naming it. Setting names are the
 * same here, in `local.settings.sample.json` and in `infra/` (a test checks all three agree).
 * May import: zod, node built-ins, types of the identity core, configError, alerts/alertSinks. Nothing in the pure
 * core imports this module: the composition root passes the pieces the core needs.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { GATEWAY_KINDS } from './cert/intake/formats/index.js';
import { alertSinksOf, type AlertSinkKind } from './alerts/alertSinks.js';
import { ConfigError } from './configError.js';
import type { DeviceIdSource } from './identity/deviceIdentity.js';

export { alertSinksOf, ConfigError, type AlertSinkKind };

/** Every setting the app reads, with its meaning; the README's settings table mirrors this. */
export const SETTINGS = {
  CERTGATE_STORAGE_CONNECTION_STRING:
    'Storage connection string (local development and Azurite). Exactly one of this and CERTGATE_STORAGE_ACCOUNT_NAME.',
  CERTGATE_STORAGE_ACCOUNT_NAME:
    'Storage account name, reached with the managed identity (production). Exactly one of this and CERTGATE_STORAGE_CONNECTION_STRING.',
  CERTGATE_TABLE_PREFIX: 'Prefix of the Table Storage table names (letters and digits, default "certgate").',
  CERTGATE_STORAGE_TIMEOUT_MS:
    'Deadline of one Table / Blob Storage call for the decision path (trusted CAs, policies, CRL archive, health probe), retries included, in milliseconds (default 2000). A call past it counts as storage unavailable: decisions use the last good copy, or fail closed (503) with none.',
  CERTGATE_MANAGE_STORAGE_TIMEOUT_MS:
    'Deadline of one Table / Blob Storage call of the management API and the posture report, retries included, in milliseconds (default 10000); past it the API answers 503 store-unavailable.',
  CERTGATE_GATEWAY_KIND: `Which gateway forwards the client certificate: ${GATEWAY_KINDS.join(', ')} (default app-gateway; one file each in shared/cert/intake/formats/).`,
  CERTGATE_GATEWAY_SECRETS:
    'Comma-separated shared secrets the gateway adds in CERTGATE_GATEWAY_SECRET_HEADER (two during rotation). Required unless CERTGATE_TRUSTED_PROXIES is set.',
  CERTGATE_GATEWAY_SECRET_HEADER: 'Header carrying the gateway secret (default X-Certgate-Gateway-Secret).',
  CERTGATE_GATEWAY_MODE:
    'passthrough (default: certgate validates, the gateway verdict is reported) or strict (a gateway FAILED verdict blocks).',
  CERTGATE_TRUSTED_PROXIES:
    'Comma-separated CIDR ranges of the gateway hops whose forwarded headers are trusted (optional).',
  CERTGATE_FRONT_DOOR_ID: 'Front Door profile id expected in X-Azure-FDID (front-door gateway only).',
  CERTGATE_GATEWAY_APP_HINTS:
    "off (default: a request's app is the registered app whose host and path the gateway saw) or on (the gateway may also name the app in ?app= or X-Certgate-App; honoured only with the gateway proof). Turn on only when the gateway itself sets or strips these.",
  CERTGATE_GATEWAY_HEADERS:
    'JSON object overriding the gateway\'s header names by role (certificate, chain, leaf, verification, frontDoorId), e.g. {"certificate":"X-SSL-Client-Cert"}; "" turns a header off.',
  CERTGATE_ADDITIONAL_GATEWAYS:
    'JSON array of further gateways certgate sits behind, each {"kind", "secrets"?, "secretHeader"?, "frontDoorId"?, "trustedProxies"?, "mode"?, "headers"?, "xfccElement"?}.',
  CERTGATE_MANAGEMENT_TOKEN_ISSUER:
    'Entra ID issuer of management API tokens, e.g. https://login.microsoftonline.com/<tenant id>/v2.0. With the next two, /api/manage needs a bearer token with the Certgate.Reader / Certgate.Admin app role (function keys stay a second layer).',
  CERTGATE_MANAGEMENT_TOKEN_AUDIENCE:
    "Comma-separated accepted token audiences: the app registration's client id and/or App ID URI.",
  CERTGATE_MANAGEMENT_JWKS_URI:
    "The issuer's signing keys, e.g. https://login.microsoftonline.com/<tenant id>/discovery/v2.0/keys.",
  CERTGATE_USER_TOKEN_AUDIENCE:
    'Comma-separated audiences of the user access tokens authorize reads from the Authorization header (same tenant as the management tokens): the user, their groups claim, and the certificate-to-user binding. Empty: no user identity.',
  CERTGATE_TRUST_APP_SERVICE_AUTH:
    'true when the app runs behind App Service Authentication (Easy Auth): authorize then takes the user from X-MS-CLIENT-PRINCIPAL when no bearer token is sent (default false: those headers are ignored, they could be forged).',
  CERTGATE_CLOCK_SKEW_SECONDS:
    'Tolerance applied to certificate validity windows, in seconds (default 60, at most 3600).',
  CERTGATE_REQUIRED_EKUS:
    'Comma-separated EKU OIDs a client certificate must carry (default 1.3.6.1.5.5.7.3.2, Client Authentication; "none" for no requirement).',
  CERTGATE_CONFIG_REFRESH_SECONDS:
    'How long a worker uses its copy of the trusted CAs before re-reading them (default 5).',
  CERTGATE_CRL_GRACE_SECONDS:
    'How long past its nextUpdate a CRL still counts while its distribution point is late or down (default 3600).',
  CERTGATE_CRL_REFRESH_SECONDS:
    'How often each CRL distribution point is re-fetched (default 300; sooner once a CRL is past its nextUpdate).',
  CERTGATE_CRL_FETCH_TIMEOUT_MS: 'Time-out of one CRL download, in milliseconds (default 10000).',
  CERTGATE_CRL_MAX_BYTES:
    'Largest CRL downloaded, in bytes (default 52428800, 50 MiB); a larger one is refused as crl-too-large.',
  CERTGATE_CRL_LOAD_TIMEOUT_MS:
    "How long the management API waits for a CA's CRLs when the CA is added or its CRL URLs change, in milliseconds (default 5000); the fetch goes on in the background past it.",
  CERTGATE_CRL_FIRST_USE_TIMEOUT_MS:
    'How long a decision waits for a CRL this worker has never fetched (a CA just added, a distribution point first named by a certificate), in milliseconds (default 3000; 0: not at all, the status is unknown).',
  CERTGATE_OCSP_TIMEOUT_MS: 'Time-out of one OCSP request on the decision path, in milliseconds (default 3000).',
  CERTGATE_OCSP_CACHE_ENTRIES: 'Most OCSP answers a worker keeps (default 10000).',
  CERTGATE_VERDICT_CACHE_ENTRIES: 'Most certificate validation verdicts a worker keeps (default 10000).',
  CERTGATE_VERDICT_CACHE_SECONDS:
    'How long a worker reuses a successful validation of the same certificate and chain, in seconds (default 60).',
  CERTGATE_VERDICT_FAILURE_CACHE_SECONDS:
    'How long a worker reuses a failed validation of the same certificate and chain, in seconds (default 5).',
  CERTGATE_DECISION_PATH_PATIENCE_MS:
    'How long a decision waits for a due re-read of the trusted CAs and policies before using the copy it has, in milliseconds (default 50; a store that is failing is not waited for).',
  CERTGATE_GRAPH_ENABLED:
    "true (default) to read group memberships, device state and Conditional Access policies from Microsoft Graph with the app's managed identity (DefaultAzureCredential); false: that data is unknown and policies needing it follow the fail mode.",
  CERTGATE_GRAPH_BASE_URL:
    'Microsoft Graph endpoint (default https://graph.microsoft.com; a national cloud or the local stand-in).',
  CERTGATE_GRAPH_TIMEOUT_MS: 'Time-out of one Graph call on the decision path, in milliseconds (default 2000).',
  CERTGATE_GRAPH_CACHE_SECONDS:
    'How long a group membership or device state read from Graph is used before it is read again (default 300).',
  CERTGATE_GRAPH_NEGATIVE_CACHE_SECONDS: 'How long "no such device / user" is remembered (default 60).',
  CERTGATE_GRAPH_STALE_SECONDS:
    'How long past its refresh time a Graph answer may still be used while Graph fails or throttles (default 3600; 0 = never: the data counts as missing).',
  CERTGATE_GRAPH_CACHE_MAX_ENTRIES:
    'Most Graph answers the directory cache keeps per worker; the least recently used go first (default 100000).',
  CERTGATE_GRAPH_BREAKER_FAILURES:
    'Graph round trips failing in a row that open the circuit: no calls, cached or stale answers only, until the cool-down ends (default 5).',
  CERTGATE_GRAPH_BREAKER_COOLDOWN_SECONDS:
    'How long the Graph circuit stays open before one trial call is let through (default 30).',
  CERTGATE_GRAPH_REFRESH_AHEAD_SECONDS:
    'Answers used since they were read are read again this long before they expire, in the background, at most once per this interval (default: a fifth of CERTGATE_GRAPH_CACHE_SECONDS; at most CERTGATE_GRAPH_CACHE_SECONDS).',
  CERTGATE_TELEMETRY:
    'Where spans and metrics go: azure-monitor (Application Insights through OpenTelemetry; the default when APPLICATIONINSIGHTS_CONNECTION_STRING is set), console (local development), off (the default otherwise). The decision log does not depend on it.',
  APPLICATIONINSIGHTS_CONNECTION_STRING:
    'Application Insights connection string (set by the deployment from the Application Insights resource); turns on azure-monitor telemetry.',
  CERTGATE_GRAPH_NOTIFICATION_URL:
    "Public https URL of certgate's /api/notifications/graph (e.g. https://certgate.contoso.com/api/notifications/graph): with it, certgate subscribes to Microsoft Graph change notifications for users, groups and devices, so a removed membership or a disabled device ends access in seconds instead of at the cache TTL. Empty (default): no subscriptions. http only for loopback (the local stack).",
  CERTGATE_DIRECTORY_CHANGES_POLL_SECONDS:
    'How often a worker reads the directory changes other workers learned (a Graph notification, an admin revocation) from Table Storage, in seconds (default 5; 0 = never: each worker only forgets what it learned itself).',
  CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATES:
    'Comma-separated secrets (16–128 characters) sent as clientState when subscribing and required on every notification; the first is used for new subscriptions, all are accepted (two during rotation). Required with CERTGATE_GRAPH_NOTIFICATION_URL.',
  CERTGATE_DEVICE_ID_SOURCES:
    'Where the Entra device id is in a device certificate, tried in order: subject-cn, san-uri:<prefix> (e.g. san-uri:AzureADDeviceId://). Default subject-cn,san-uri:AzureADDeviceId://. Only a GUID counts.',
  CERTGATE_DECISION_LOG_ALLOWS:
    'Which allowed decisions the decision log (Table Storage) records: all (default), none, or a rate from 0 to 1 (e.g. 0.1: one in ten, sampled). Blocks, and allows a report-only policy would have blocked, are always recorded.',
  CERTGATE_DECISION_LOG_RETENTION_DAYS:
    'How many days the decision log keeps decisions (default 30, 1-365); the decision-log-retention timer deletes older hours.',
  CERTGATE_DECISION_LOG_BUFFER:
    'Most decisions a worker holds in memory waiting to be written to the decision log (default 10000); past it decisions are dropped and counted (/api/health), allowed ones first.',
  CERTGATE_DECISION_LOG_FLUSH_MS:
    'How often a worker writes its buffered decisions to the decision log, in milliseconds (default 1000; sooner when 100 are waiting).',
  CERTGATE_DECISION_LOG_LINES:
    'on (default): every decision is also a certgate.decision log line (Application Insights traces, which host.json may sample); off: the decision log table only.',
  CERTGATE_ALERT_SINKS:
    'Where alert events (CloudEvents) go: "queue" (default: the outbox queue certgate-alerts is the destination; readers take them from it), or webhook and/or eventgrid (comma-separated: the deliver-alerts function drains the queue into them, with retries and the poison queue certgate-alerts-poison), or "log" (warning log lines only, no queue). Every event is also a certgate.alert log line.',
  CERTGATE_ALERT_SOURCE: 'CloudEvents source of alert events (default /certgate; e.g. /certgate/<app name>).',
  CERTGATE_ALERT_WEBHOOK_URL:
    'The webhook alert events are POSTed to (https; http only to loopback). Required with the webhook sink.',
  CERTGATE_ALERT_WEBHOOK_SECRET:
    'Shared secret (at least 32 characters) of the webhook signature: webhook-signature = v1,base64(HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")) (docs/alerts.md). Required with the webhook sink.',
  CERTGATE_ALERT_EVENTGRID_ENDPOINT:
    'Event Grid topic endpoint (https://<topic>.<region>-1.eventgrid.azure.net/api/events) in the CloudEvents schema. Required with the eventgrid sink.',
  CERTGATE_ALERT_EVENTGRID_KEY:
    "The topic's access key; empty (default): the app's managed identity (role EventGrid Data Sender on the topic).",
  CERTGATE_ALERT_DEDUP_SECONDS:
    'Dedup and rate window, in seconds (default 600): one event per (type, policy, user, device) per window; what is held back comes out as one summary event per type when the window closes.',
  CERTGATE_ALERT_RATE_CAP: 'Most events of one type per window and worker, besides the summary (default 20).',
  CERTGATE_ALERT_BUFFER_SIZE:
    'Most alert events a worker holds for the outbox when the queue is slow or down (default 10000); beyond, new ones are dropped and counted (health, metrics).',
  CERTGATE_ALERT_MAX_ATTEMPTS:
    'Delivery rounds to the webhook / Event Grid before an event goes to the poison queue certgate-alerts-poison (default 8).',
  CERTGATE_ALERT_RETRY_SECONDS:
    'Delay after the first failed delivery round, in seconds (default 30); doubled per round, at most CERTGATE_ALERT_RETRY_MAX_SECONDS.',
  CERTGATE_ALERT_RETRY_MAX_SECONDS: 'Longest delay between delivery rounds, in seconds (default 3600).',
  CERTGATE_ALERT_BACKLOG_WARN:
    'Outbox backlog (queued plus poisoned events) at which the expiry watch logs certgate.alert.outbox-backlog (default 1000).',
  CERTGATE_WATCH_CA_DAYS: 'The expiry watch warns about trusted CAs expiring within this many days (default 30).',
  CERTGATE_WATCH_CERTIFICATE_DAYS:
    'The expiry watch warns about client certificates seen recently that expire within this many days (default 14).',
  CERTGATE_WATCH_SEEN_CERTIFICATES:
    'Most recently seen client certificates (thumbprint, expiry, user) a worker remembers for the expiry watch (default 5000).',
  CERTGATE_GATE_SIGNING_KEY:
    'Gate mode: the ES256 key that signs X-Certgate-Assertion for upstreams, a PKCS#8 PEM of a P-256 private key (in Azure a Key Vault reference; literal \\n accepted for newlines). Its public key is published at /api/.well-known/jwks.json (kid = RFC 7638 thumbprint). Without it the gate answers 503 gate-signing-key-missing instead of proxying.',
  CERTGATE_GATE_PREVIOUS_SIGNING_KEY:
    'Gate mode, key rotation: the previous signing key (same format), published in the JWKS but no longer used to sign, so upstreams holding assertions or cached keys keep verifying.',
  CERTGATE_GATE_ISSUER: 'Gate mode: the iss claim of X-Certgate-Assertion (default "certgate").',
  CERTGATE_GATE_ASSERTION_SECONDS:
    'Gate mode: lifetime of X-Certgate-Assertion, in seconds (default 60, 10 to 600). One assertion serves the requests of a user on one device to one app (the same claims) until it is half this old.',
  CERTGATE_GATE_UPSTREAM_TIMEOUT_MS:
    "Gate mode: how long the gate waits for an upstream's response headers, in milliseconds (default 30000); past it the answer is 504 gate-upstream-timeout. The body then streams without a deadline.",
} as const;

/** A setting name. */
export type SettingName = keyof typeof SETTINGS;

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;
const CIDR = /^[0-9a-fA-F:.]+\/\d{1,3}$/;

/** Storage is reached either by connection string (Azurite, dev) or by account name + managed identity. */
export type StorageConfig =
  | { readonly kind: 'connection-string'; readonly connectionString: string }
  | { readonly kind: 'managed-identity'; readonly accountName: string };

const HeaderOverrides = z.partialRecord(
  z.enum(['certificate', 'chain', 'leaf', 'verification', 'frontDoorId']),
  z.string().regex(/^[A-Za-z0-9-]*$/, 'not a header name'),
);

const GatewaySchema = z
  .object({
    kind: z.enum(GATEWAY_KINDS),
    secrets: z.array(z.string().min(16, 'each secret must be at least 16 characters')).optional(),
    secretHeader: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'not a header name')
      .optional(),
    frontDoorId: z.string().min(1).optional(),
    trustedProxies: z.array(z.string().regex(CIDR, 'not a CIDR range such as 10.0.1.0/24')).optional(),
    mode: z.enum(['passthrough', 'strict']).optional(),
    headers: HeaderOverrides.optional(),
    xfccElement: z.enum(['last', 'first', 'only']).optional(),
    appHints: z.boolean().optional(),
  })
  .strict()
  .refine(
    (g) =>
      (g.secrets?.length ?? 0) > 0 ||
      (g.trustedProxies?.length ?? 0) > 0 ||
      (g.kind === 'front-door' && g.frontDoorId !== undefined),
    {
      message:
        'a gateway needs secrets, trustedProxies, or (front-door) a frontDoorId: otherwise anyone could forge its header',
    },
  );

/** One gateway certgate sits behind, with the proof it must show. */
export type GatewaySettings = z.infer<typeof GatewaySchema>;

function json<T>(env: Record<string, string | undefined>, name: SettingName, schema: z.ZodType<T>, fallback: T): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new ConfigError(name, 'not valid JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(name, `${issue?.path.join('.') || '(value)'}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data;
}

/** The typed, frozen app configuration. */
export interface AppConfig {
  readonly storage: StorageConfig;
  readonly tablePrefix: string;
  /** Deadlines of one storage call (retries included): for the decision path, and for management. */
  readonly storageTimeoutMs: { readonly decision: number; readonly manage: number };
  readonly gateway: {
    readonly kind: (typeof GATEWAY_KINDS)[number];
    readonly secrets: readonly string[];
    readonly secretHeader: string;
    readonly mode: 'passthrough' | 'strict';
    readonly trustedProxies: readonly string[];
    readonly frontDoorId?: string;
    readonly headers: Readonly<
      Partial<Record<'certificate' | 'chain' | 'leaf' | 'verification' | 'frontDoorId', string>>
    >;
    /** Whether this gateway may name the app (`?app=` / `X-Certgate-App`), under its proof. */
    readonly appHints: boolean;
  };
  /** Entra ID token check of the management API; absent = function keys only. */
  readonly managementTokens?: {
    readonly issuer: string;
    readonly audience: readonly string[];
    readonly jwksUri: string;
  };
  /** Whether App Service Authentication's principal headers can be believed. */
  readonly trustAppServiceAuth: boolean;
  /** Audiences of user tokens on authorize (same issuer and keys as the management tokens). */
  readonly userTokenAudience: readonly string[];
  /** Further gateways (CERTGATE_ADDITIONAL_GATEWAYS), checked in order after the primary one. */
  readonly additionalGateways: readonly GatewaySettings[];
  readonly clockSkewSeconds: number;
  readonly requiredEkus: readonly string[];
  readonly configRefreshSeconds: number;
  readonly crlRefreshSeconds: number;
  readonly crlGraceSeconds: number;
  /** How long callers wait for CRL fetches they need now: the management API, and a decision. */
  readonly crlDeadlines: { readonly loadMs: number; readonly firstUseMs: number };
  /** Limits of one CRL download. */
  readonly crlFetch: { readonly timeoutMs: number; readonly maxBytes: number };
  /** OCSP on the decision path: the request time-out and the size of the answer cache. */
  readonly ocsp: { readonly timeoutMs: number; readonly cacheEntries: number };
  /** The worker's cache of validation verdicts. */
  readonly verdictCache: {
    readonly maxEntries: number;
    readonly successSeconds: number;
    readonly failureSeconds: number;
  };
  /** How long a decision waits for a due re-read of the trusted CAs and policies. */
  readonly decisionPathPatienceMs: number;
  /** Microsoft Graph: whether it is used, where, and how its answers are cached. */
  readonly graph: {
    readonly enabled: boolean;
    readonly baseUrl: string;
    readonly timeoutMs: number;
    readonly cacheSeconds: number;
    readonly negativeCacheSeconds: number;
    readonly staleSeconds: number;
    /** Most answers the directory cache keeps. */
    readonly cacheMaxEntries: number;
    /** The directory circuit breaker: failures in a row that open it, and its cool-down. */
    readonly breaker: { readonly failures: number; readonly cooldownSeconds: number };
    /** The refresh-ahead window and interval; absent: a fifth of the cache TTL. */
    readonly refreshAheadSeconds?: number;
  };
  /** Microsoft Graph change notifications (events in): where Graph posts them and the accepted client states. */
  /** Telemetry: where spans and metrics go. */
  readonly telemetry: { readonly mode: 'off' | 'console' | 'azure-monitor'; readonly connectionString?: string };
  readonly graphNotifications: {
    /** Absent: certgate does not subscribe. */
    readonly url?: string;
    readonly clientStates: readonly string[];
    /** How often a worker reads the other workers' directory changes (0: never). */
    readonly changesPollSeconds: number;
  };
  /** Where a device certificate carries the Entra device id, in order. */
  readonly deviceIdSources: readonly DeviceIdSource[];
  /** The decision log (Table Storage): allow sampling, retention, the write buffer, log lines besides. */
  readonly decisionLog: {
    readonly allows:
      { readonly kind: 'all' } | { readonly kind: 'none' } | { readonly kind: 'rate'; readonly rate: number };
    readonly retentionDays: number;
    readonly buffer: number;
    readonly flushMs: number;
    readonly logLines: boolean;
  };
  /** Alert events: sinks, CloudEvents source, dedup / rate rules, outbox buffer and delivery retries. */
  readonly alerts: AlertSettings;
  /** The expiry and staleness watch's thresholds. */
  readonly watch: { readonly caDays: number; readonly certificateDays: number; readonly seenCertificates: number };
  /** Gate mode (reverse proxy): the assertion signing keys (PKCS#8 PEM), issuer, lifetime, upstream deadline. */
  readonly gate: {
    readonly signingKeyPem?: string;
    readonly previousSigningKeyPem?: string;
    readonly issuer: string;
    readonly assertionSeconds: number;
    readonly upstreamTimeoutMs: number;
  };
}

/** A P-256 private key in PKCS#8 PEM (`\n` escapes accepted), checked; undefined when the setting is empty. */
function gateSigningKey(env: Record<string, string | undefined>, name: SettingName): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const pem = raw.includes('\\n') ? raw.replace(/\\n/g, '\n') : raw;
  if (!pem.startsWith('-----BEGIN PRIVATE KEY-----'))
    throw new ConfigError(name, 'expected a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----) of a P-256 key');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new ConfigError(name, `not a readable private key: ${error instanceof Error ? error.message : 'invalid'}`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
    throw new ConfigError(name, 'expected a P-256 (prime256v1) EC key, for ES256');
  return pem;
}

function gateSettings(env: Record<string, string | undefined>): AppConfig['gate'] {
  const signingKeyPem = gateSigningKey(env, 'CERTGATE_GATE_SIGNING_KEY');
  const previousSigningKeyPem = gateSigningKey(env, 'CERTGATE_GATE_PREVIOUS_SIGNING_KEY');
  if (previousSigningKeyPem && !signingKeyPem)
    throw new ConfigError('CERTGATE_GATE_SIGNING_KEY', 'missing: a previous signing key needs a current one');
  const issuer = env.CERTGATE_GATE_ISSUER?.trim() || 'certgate';
  if (!/^[\x21-\x7e]{1,200}$/.test(issuer))
    throw new ConfigError('CERTGATE_GATE_ISSUER', 'expected 1 to 200 printable ASCII characters without spaces');
  return {
    ...(signingKeyPem ? { signingKeyPem } : {}),
    ...(previousSigningKeyPem ? { previousSigningKeyPem } : {}),
    issuer,
    assertionSeconds: integer(env, 'CERTGATE_GATE_ASSERTION_SECONDS', 60, 10, 600),
    upstreamTimeoutMs: integer(env, 'CERTGATE_GATE_UPSTREAM_TIMEOUT_MS', 30_000, 100, 600_000),
  };
}

function telemetry(env: Record<string, string | undefined>): AppConfig['telemetry'] {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim() ?? '';
  const mode = oneOf(
    env,
    'CERTGATE_TELEMETRY',
    ['off', 'console', 'azure-monitor'] as const,
    connectionString === '' ? 'off' : 'azure-monitor',
  );
  if (mode === 'azure-monitor' && connectionString === '')
    throw new ConfigError('CERTGATE_TELEMETRY', 'azure-monitor needs APPLICATIONINSIGHTS_CONNECTION_STRING');
  return connectionString === '' ? { mode } : { mode, connectionString };
}

function graphNotifications(env: Record<string, string | undefined>): AppConfig['graphNotifications'] {
  const url = env.CERTGATE_GRAPH_NOTIFICATION_URL?.trim() ?? '';
  const clientStates = list(env.CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATES ?? '');
  for (const state of clientStates) {
    if (state.length < 16 || state.length > 128)
      throw new ConfigError(
        'CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATES',
        `every client state must be 16–128 characters (Graph's limit is 128), one is ${state.length}`,
      );
  }
  const changesPollSeconds = integer(env, 'CERTGATE_DIRECTORY_CHANGES_POLL_SECONDS', 5, 0, 3600);
  if (url === '') return { clientStates, changesPollSeconds };
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('CERTGATE_GRAPH_NOTIFICATION_URL', `"${url}" is not a URL`);
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback))
    throw new ConfigError(
      'CERTGATE_GRAPH_NOTIFICATION_URL',
      `"${url}" must be https (Graph only notifies https endpoints; http is allowed for loopback, the local stack)`,
    );
  if (clientStates.length === 0)
    throw new ConfigError(
      'CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATES',
      'is required with CERTGATE_GRAPH_NOTIFICATION_URL (the secret that tells Graph notifications from forgeries)',
    );
  return { url, clientStates, changesPollSeconds };
}

function deviceIdSources(env: Record<string, string | undefined>): DeviceIdSource[] {
  const raw = env.CERTGATE_DEVICE_ID_SOURCES?.trim() || 'subject-cn,san-uri:AzureADDeviceId://';
  return list(raw).map((entry): DeviceIdSource => {
    if (entry === 'subject-cn') return { kind: 'subject-cn' };
    if (entry.startsWith('san-uri:') && entry.length > 'san-uri:'.length)
      return { kind: 'san-uri', prefix: entry.slice('san-uri:'.length) };
    throw new ConfigError(
      'CERTGATE_DEVICE_ID_SOURCES',
      `"${entry}" is not subject-cn or san-uri:<prefix> (e.g. san-uri:AzureADDeviceId://)`,
    );
  });
}

/** CERTGATE_DECISION_LOG_ALLOWS: all (default), none, or a sampling rate in [0, 1]. */
function decisionLogAllows(raw: string | undefined): AppConfig['decisionLog']['allows'] {
  const value = raw?.trim().toLowerCase() ?? '';
  if (value === '' || value === 'all') return { kind: 'all' };
  if (value === 'none') return { kind: 'none' };
  const rate = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !(rate >= 0 && rate <= 1))
    throw new ConfigError(
      'CERTGATE_DECISION_LOG_ALLOWS',
      `expected all, none or a rate from 0 to 1, got "${raw ?? ''}"`,
    );
  return rate === 1 ? { kind: 'all' } : rate === 0 ? { kind: 'none' } : { kind: 'rate', rate };
}

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** CERTGATE_GRAPH_REFRESH_AHEAD_SECONDS: from 1 second to the cache TTL; unset, the cache takes a fifth of its TTL. */
function graphRefreshAhead(env: Record<string, string | undefined>): { refreshAheadSeconds?: number } {
  const cacheSeconds = integer(env, 'CERTGATE_GRAPH_CACHE_SECONDS', 300, 5, 86_400);
  const raw = env.CERTGATE_GRAPH_REFRESH_AHEAD_SECONDS?.trim();
  if (raw === undefined || raw === '') return {};
  return { refreshAheadSeconds: integer(env, 'CERTGATE_GRAPH_REFRESH_AHEAD_SECONDS', 0, 1, cacheSeconds) };
}

function integer(
  env: Record<string, string | undefined>,
  name: SettingName,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const parsed = z.coerce.number().int().min(min).max(max).safeParse(raw);
  if (!parsed.success) throw new ConfigError(name, `expected an integer from ${min} to ${max}, got "${raw}"`);
  return parsed.data;
}

function oneOf<T extends string>(
  env: Record<string, string | undefined>,
  name: SettingName,
  allowed: readonly T[],
  fallback: T,
): T {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

/** Alert settings (the alert settings in SETTINGS: sinks, webhook, Event Grid, dedup, rate, buffer, retries). */
export interface AlertSettings {
  readonly sinks: readonly AlertSinkKind[];
  readonly source: string;
  readonly webhook?: { readonly url: string; readonly secret: string };
  readonly eventGrid?: { readonly endpoint: string; readonly key?: string };
  readonly dedupSeconds: number;
  readonly ratePerType: number;
  readonly bufferSize: number;
  readonly maxAttempts: number;
  readonly retrySeconds: number;
  readonly retryMaxSeconds: number;
  readonly backlogWarn: number;
}

function alertSettings(env: Record<string, string | undefined>): AlertSettings {
  const sinks = alertSinksOf(env.CERTGATE_ALERT_SINKS);
  const source = env.CERTGATE_ALERT_SOURCE?.trim() || '/certgate';
  if (!/^\S{1,200}$/.test(source))
    throw new ConfigError('CERTGATE_ALERT_SOURCE', 'expected a URI reference without spaces');
  let webhook: AlertSettings['webhook'];
  if (sinks.includes('webhook')) {
    const url = env.CERTGATE_ALERT_WEBHOOK_URL?.trim() ?? '';
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    const loopback = parsed && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
    if (!parsed || !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && loopback)))
      throw new ConfigError('CERTGATE_ALERT_WEBHOOK_URL', `"${url}" is not an https URL (http only to loopback)`);
    const secret = env.CERTGATE_ALERT_WEBHOOK_SECRET?.trim() ?? '';
    if (secret.length < 32)
      throw new ConfigError('CERTGATE_ALERT_WEBHOOK_SECRET', 'missing or shorter than 32 characters');
    webhook = { url: parsed.toString(), secret };
  }
  let eventGrid: AlertSettings['eventGrid'];
  if (sinks.includes('eventgrid')) {
    const endpoint = env.CERTGATE_ALERT_EVENTGRID_ENDPOINT?.trim() ?? '';
    if (!/^https:\/\/[^\s/]+\/\S*$/.test(endpoint))
      throw new ConfigError('CERTGATE_ALERT_EVENTGRID_ENDPOINT', `"${endpoint}" is not an https topic endpoint`);
    const key = env.CERTGATE_ALERT_EVENTGRID_KEY?.trim();
    eventGrid = { endpoint, ...(key ? { key } : {}) };
  }
  const retrySeconds = integer(env, 'CERTGATE_ALERT_RETRY_SECONDS', 30, 1, 86_400);
  const retryMaxSeconds = integer(env, 'CERTGATE_ALERT_RETRY_MAX_SECONDS', 3600, 1, 7 * 86_400 - 1);
  if (retryMaxSeconds < retrySeconds)
    throw new ConfigError('CERTGATE_ALERT_RETRY_MAX_SECONDS', 'must not be shorter than CERTGATE_ALERT_RETRY_SECONDS');
  return {
    sinks,
    source,
    ...(webhook ? { webhook } : {}),
    ...(eventGrid ? { eventGrid } : {}),
    dedupSeconds: integer(env, 'CERTGATE_ALERT_DEDUP_SECONDS', 600, 1, 86_400),
    ratePerType: integer(env, 'CERTGATE_ALERT_RATE_CAP', 20, 1, 100_000),
    bufferSize: integer(env, 'CERTGATE_ALERT_BUFFER_SIZE', 10_000, 1, 1_000_000),
    maxAttempts: integer(env, 'CERTGATE_ALERT_MAX_ATTEMPTS', 8, 1, 100),
    retrySeconds,
    retryMaxSeconds,
    backlogWarn: integer(env, 'CERTGATE_ALERT_BACKLOG_WARN', 1000, 1, 10_000_000),
  };
}

/** Reads and checks every setting; throws {@link ConfigError} naming the first bad one. */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  const connectionString = env.CERTGATE_STORAGE_CONNECTION_STRING?.trim();
  const accountName = env.CERTGATE_STORAGE_ACCOUNT_NAME?.trim();
  let storage: StorageConfig;
  if (connectionString && accountName) {
    throw new ConfigError(
      'CERTGATE_STORAGE_CONNECTION_STRING',
      'set either this or CERTGATE_STORAGE_ACCOUNT_NAME, not both',
    );
  } else if (connectionString) {
    if (!/(AccountName|TableEndpoint|UseDevelopmentStorage)=/i.test(connectionString)) {
      throw new ConfigError(
        'CERTGATE_STORAGE_CONNECTION_STRING',
        'not a storage connection string (no AccountName= or TableEndpoint=)',
      );
    }
    storage = { kind: 'connection-string', connectionString };
  } else if (accountName) {
    if (!/^[a-z0-9]{3,24}$/.test(accountName))
      throw new ConfigError('CERTGATE_STORAGE_ACCOUNT_NAME', 'expected 3-24 lowercase letters and digits');
    storage = { kind: 'managed-identity', accountName };
  } else {
    throw new ConfigError(
      'CERTGATE_STORAGE_CONNECTION_STRING',
      'missing: set it (local) or CERTGATE_STORAGE_ACCOUNT_NAME (Azure, managed identity)',
    );
  }

  const tablePrefix = env.CERTGATE_TABLE_PREFIX?.trim() || 'certgate';
  if (!/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(tablePrefix))
    throw new ConfigError('CERTGATE_TABLE_PREFIX', 'expected a letter then up to 39 letters or digits');

  const secrets = list(env.CERTGATE_GATEWAY_SECRETS);
  const trustedProxies = list(env.CERTGATE_TRUSTED_PROXIES);
  for (const cidr of trustedProxies) {
    if (!CIDR.test(cidr))
      throw new ConfigError('CERTGATE_TRUSTED_PROXIES', `"${cidr}" is not a CIDR range such as 10.0.1.0/24`);
  }
  for (const secret of secrets) {
    if (secret.length < 16)
      throw new ConfigError('CERTGATE_GATEWAY_SECRETS', 'each secret must be at least 16 characters');
  }
  const kind = oneOf(env, 'CERTGATE_GATEWAY_KIND', GATEWAY_KINDS, 'app-gateway');
  const frontDoorId = env.CERTGATE_FRONT_DOOR_ID?.trim() || undefined;
  if (secrets.length === 0 && trustedProxies.length === 0 && !(kind === 'front-door' && frontDoorId)) {
    throw new ConfigError(
      'CERTGATE_GATEWAY_SECRETS',
      'missing: without a gateway secret or CERTGATE_TRUSTED_PROXIES any caller could forge the certificate header',
    );
  }
  const secretHeader = env.CERTGATE_GATEWAY_SECRET_HEADER?.trim() || 'X-Certgate-Gateway-Secret';
  if (!/^[A-Za-z0-9-]+$/.test(secretHeader))
    throw new ConfigError('CERTGATE_GATEWAY_SECRET_HEADER', 'not a valid header name');

  const ekuSetting = env.CERTGATE_REQUIRED_EKUS?.trim();
  const requiredEkus = ekuSetting === 'none' ? [] : ekuSetting ? list(ekuSetting) : ['1.3.6.1.5.5.7.3.2'];
  for (const oid of requiredEkus) {
    if (!OID.test(oid))
      throw new ConfigError('CERTGATE_REQUIRED_EKUS', `"${oid}" is not an OID such as 1.3.6.1.5.5.7.3.2`);
  }

  const tokenIssuer = env.CERTGATE_MANAGEMENT_TOKEN_ISSUER?.trim();
  const tokenAudience = list(env.CERTGATE_MANAGEMENT_TOKEN_AUDIENCE);
  const jwksUri = env.CERTGATE_MANAGEMENT_JWKS_URI?.trim();
  const tokenSettings = [tokenIssuer, tokenAudience.length > 0 ? 'set' : '', jwksUri].filter((v) => v).length;
  if (tokenSettings > 0 && tokenSettings < 3) {
    const missing = !tokenIssuer
      ? 'CERTGATE_MANAGEMENT_TOKEN_ISSUER'
      : tokenAudience.length === 0
        ? 'CERTGATE_MANAGEMENT_TOKEN_AUDIENCE'
        : 'CERTGATE_MANAGEMENT_JWKS_URI';
    throw new ConfigError(missing, 'missing: the management token settings (issuer, audience, JWKS URI) go together');
  }
  for (const [name, value] of [
    ['CERTGATE_MANAGEMENT_TOKEN_ISSUER', tokenIssuer],
    ['CERTGATE_MANAGEMENT_JWKS_URI', jwksUri],
  ] as const) {
    if (value && !/^https?:\/\/\S+$/.test(value)) throw new ConfigError(name, `"${value}" is not an http(s) URL`);
  }

  const userTokenAudience = list(env.CERTGATE_USER_TOKEN_AUDIENCE);
  if (userTokenAudience.length > 0 && tokenSettings === 0) {
    throw new ConfigError(
      'CERTGATE_USER_TOKEN_AUDIENCE',
      'needs CERTGATE_MANAGEMENT_TOKEN_ISSUER and CERTGATE_MANAGEMENT_JWKS_URI (the tenant whose tokens to trust)',
    );
  }

  const graphBaseUrl = (env.CERTGATE_GRAPH_BASE_URL?.trim() || 'https://graph.microsoft.com').replace(/\/+$/, '');
  if (!/^https:\/\/[^/\s]+$/.test(graphBaseUrl)) {
    throw new ConfigError(
      'CERTGATE_GRAPH_BASE_URL',
      `"${graphBaseUrl}" is not an https origin such as https://graph.microsoft.com (Graph tokens are only sent over https)`,
    );
  }

  const config: AppConfig = {
    userTokenAudience,
    trustAppServiceAuth: oneOf(env, 'CERTGATE_TRUST_APP_SERVICE_AUTH', ['true', 'false'] as const, 'false') === 'true',
    storage,
    tablePrefix,
    storageTimeoutMs: {
      decision: integer(env, 'CERTGATE_STORAGE_TIMEOUT_MS', 2000, 100, 60_000),
      manage: integer(env, 'CERTGATE_MANAGE_STORAGE_TIMEOUT_MS', 10_000, 100, 300_000),
    },
    gateway: {
      kind,
      secrets,
      secretHeader,
      mode: oneOf(env, 'CERTGATE_GATEWAY_MODE', ['passthrough', 'strict'] as const, 'passthrough'),
      trustedProxies,
      ...(frontDoorId ? { frontDoorId } : {}),
      headers: json(env, 'CERTGATE_GATEWAY_HEADERS', HeaderOverrides, {}),
      appHints: oneOf(env, 'CERTGATE_GATEWAY_APP_HINTS', ['off', 'on'] as const, 'off') === 'on',
    },
    ...(tokenIssuer && jwksUri && tokenAudience.length > 0
      ? { managementTokens: { issuer: tokenIssuer, audience: tokenAudience, jwksUri } }
      : {}),
    additionalGateways: json(env, 'CERTGATE_ADDITIONAL_GATEWAYS', z.array(GatewaySchema), []),
    clockSkewSeconds: integer(env, 'CERTGATE_CLOCK_SKEW_SECONDS', 60, 0, 3600),
    requiredEkus,
    configRefreshSeconds: integer(env, 'CERTGATE_CONFIG_REFRESH_SECONDS', 5, 0, 300),
    crlRefreshSeconds: integer(env, 'CERTGATE_CRL_REFRESH_SECONDS', 300, 1, 86_400),
    crlGraceSeconds: integer(env, 'CERTGATE_CRL_GRACE_SECONDS', 3600, 0, 7 * 86_400),
    crlDeadlines: {
      loadMs: integer(env, 'CERTGATE_CRL_LOAD_TIMEOUT_MS', 5000, 0, 60_000),
      firstUseMs: integer(env, 'CERTGATE_CRL_FIRST_USE_TIMEOUT_MS', 3000, 0, 30_000),
    },
    crlFetch: {
      timeoutMs: integer(env, 'CERTGATE_CRL_FETCH_TIMEOUT_MS', 10_000, 100, 120_000),
      maxBytes: integer(env, 'CERTGATE_CRL_MAX_BYTES', 50 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    },
    ocsp: {
      timeoutMs: integer(env, 'CERTGATE_OCSP_TIMEOUT_MS', 3000, 100, 30_000),
      cacheEntries: integer(env, 'CERTGATE_OCSP_CACHE_ENTRIES', 10_000, 1, 1_000_000),
    },
    verdictCache: {
      maxEntries: integer(env, 'CERTGATE_VERDICT_CACHE_ENTRIES', 10_000, 1, 1_000_000),
      successSeconds: integer(env, 'CERTGATE_VERDICT_CACHE_SECONDS', 60, 0, 3600),
      failureSeconds: integer(env, 'CERTGATE_VERDICT_FAILURE_CACHE_SECONDS', 5, 0, 3600),
    },
    decisionPathPatienceMs: integer(env, 'CERTGATE_DECISION_PATH_PATIENCE_MS', 50, 0, 5000),
    graph: {
      enabled: oneOf(env, 'CERTGATE_GRAPH_ENABLED', ['true', 'false'] as const, 'true') === 'true',
      baseUrl: graphBaseUrl,
      timeoutMs: integer(env, 'CERTGATE_GRAPH_TIMEOUT_MS', 2000, 100, 30_000),
      cacheSeconds: integer(env, 'CERTGATE_GRAPH_CACHE_SECONDS', 300, 5, 86_400),
      negativeCacheSeconds: integer(env, 'CERTGATE_GRAPH_NEGATIVE_CACHE_SECONDS', 60, 0, 86_400),
      staleSeconds: integer(env, 'CERTGATE_GRAPH_STALE_SECONDS', 3600, 0, 7 * 86_400),
      cacheMaxEntries: integer(env, 'CERTGATE_GRAPH_CACHE_MAX_ENTRIES', 100_000, 100, 10_000_000),
      breaker: {
        failures: integer(env, 'CERTGATE_GRAPH_BREAKER_FAILURES', 5, 1, 1000),
        cooldownSeconds: integer(env, 'CERTGATE_GRAPH_BREAKER_COOLDOWN_SECONDS', 30, 1, 3600),
      },
      ...graphRefreshAhead(env),
    },
    telemetry: telemetry(env),
    graphNotifications: graphNotifications(env),
    deviceIdSources: deviceIdSources(env),
    decisionLog: {
      allows: decisionLogAllows(env.CERTGATE_DECISION_LOG_ALLOWS),
      retentionDays: integer(env, 'CERTGATE_DECISION_LOG_RETENTION_DAYS', 30, 1, 365),
      buffer: integer(env, 'CERTGATE_DECISION_LOG_BUFFER', 10_000, 100, 1_000_000),
      flushMs: integer(env, 'CERTGATE_DECISION_LOG_FLUSH_MS', 1000, 50, 60_000),
      logLines: oneOf(env, 'CERTGATE_DECISION_LOG_LINES', ['on', 'off'] as const, 'on') === 'on',
    },
    alerts: alertSettings(env),
    watch: {
      caDays: integer(env, 'CERTGATE_WATCH_CA_DAYS', 30, 1, 3650),
      certificateDays: integer(env, 'CERTGATE_WATCH_CERTIFICATE_DAYS', 14, 1, 3650),
      seenCertificates: integer(env, 'CERTGATE_WATCH_SEEN_CERTIFICATES', 5000, 1, 1_000_000),
    },
    gate: gateSettings(env),
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
