/**
 * The whole local stack on loopback: Azurite, a static server for the dev PKI's CRLs and CA
 * certificates (the URLs the certificates point at), the dev PKI, the app's functions on the
 * local Functions host, the dev CAs registered through the management API, and the local mTLS
 * gateway in front. `npm start` and the end-to-end tests both use it, so the tests exercise exactly
 * what a user runs. Dev and test only.
 * May import: dev modules, the app's config loader, node built-ins.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadConfig, type AppConfig } from '../shared/config.js';
import { startAzurite, type Azurite, type AzuritePorts } from './azurite.js';
import { GRAPH_STAND_IN_TLS_DIR, startGraphStandIn, type GraphStandIn } from './graph/index.js';
import { startLocalGateway } from './gateway/index.js';
import { loadOrCreateGateSigningKey } from './gate/signingKey.js';
import {
  installFunctionsCore,
  registeredFunctions,
  runAppStartHooks,
  runAppTerminateHooks,
} from './host/functionsCore.js';
import { startQueueTriggers } from './host/queueTriggers.js';
import { startWebhookSink } from './webhookSink.js';
import { hostJsonRoutePrefix, startFunctionsHost, type FunctionsHost } from './host/server.js';
import { freeLoopbackPort } from './listen.js';
import { localSettings } from './localSettings.js';
import { demoPolicyConfiguration } from './demoPolicies.js';
import { startContosoFiles, type ContosoFiles } from './sampleApp/index.js';
import {
  DEV_NGINX_SECRET,
  nginxAvailability,
  startForwardAuthNginx,
  withNginxGateway,
} from './nginx/forwardAuthNginx.js';
import { ensureDevPki, type DevPki } from './pki/index.js';
import { DEV_TENANT_ID, DEV_TOKEN_AUDIENCE, startDevTokenIssuer } from './tokens/index.js';
import { devObjectIdFor } from './tokens/mint.js';

/** The local alert webhook sink's signing secret (dev only; CERTGATE_ALERT_WEBHOOK_SECRET). */
export const DEV_ALERT_WEBHOOK_SECRET = 'certgate-dev-alert-webhook-secret-0123456789';

/** Audience of the users' tokens for the apps certgate protects in the local stack. */
export const DEV_APP_AUDIENCE = 'api://contoso-portal';

/** Ports of the stack; 0 = any free port (tests). */
export interface StackPorts {
  readonly host: number;
  readonly gateway: number;
  readonly pki: number;
  /** The Microsoft Graph stand-in (https); default any free port. */
  readonly graph?: number;
  /** Contoso Files, the sample app behind the gate (http, loopback); default any free port. */
  readonly sampleApp?: number;
  /** The real nginx in front of Contoso Files with auth_request (https), when started; default any free port. */
  readonly nginx?: number;
  readonly azurite: AzuritePorts;
}

/** Options of {@link startStack}. */
export interface StackOptions {
  readonly root: string;
  readonly pkiDir: string;
  readonly ports: StackPorts;
  /** The key the local host accepts for `authLevel: 'function'` routes. */
  readonly functionKey: string;
  readonly masterKey: string;
  /** App settings that override the settings file (tests). */
  readonly settings?: Record<string, string>;
  readonly now?: Date;
  readonly log?: (line: string) => void;
  /** How often the local host runs timer functions (default 60 s). */
  readonly timerSeconds?: number;
  /** Where the dev token issuer keeps its signing key and `issuer.json` (so `dev/tokens/mint.ts` agrees). */
  readonly tokenDir?: string;
  /**
   * Load the demo access policies (dev/demoPolicies.ts) through the management API, with
   * 127.0.0.2 standing in for the corporate network, and trust the gateway hop (127.0.0.1) so
   * the client address it forwards counts.
   */
  readonly demoPolicies?: boolean;
  /**
   * Also put a real nginx (the Debian package) in front of Contoso Files, asking certgate with
   * `auth_request` (dev/nginx/forwardAuthNginx.ts), when nginx is installed; a line says so when not.
   */
  readonly nginx?: boolean;
}

/** A running stack. */
export interface Stack {
  readonly hostUrl: string;
  readonly gatewayUrl: string;
  readonly pkiUrl: string;
  readonly pki: DevPki;
  readonly config: AppConfig;
  readonly azurite: Azurite;
  /**
   * The Microsoft Graph stand-in (and Entra token endpoint for the app's credential), with its fault switches and call
   * counters.
   */
  readonly graph: GraphStandIn;
  readonly functionKey: string;
  /** The local token issuer (stands in for Entra ID) and an admin token for the management API. */
  readonly tokens: {
    readonly issuer: string;
    readonly adminToken: string;
    mint(upn: string, roles: readonly string[], audience?: string, groups?: readonly string[]): Promise<string>;
  };
  /** Whether the demo policies are loaded. */
  readonly demoPolicies: boolean;
  /**
   * Contoso Files, the sample app: registered as `contoso-files` (host files.contoso.example) with its URL as the
   * upstream when the demo policies are loaded; it serves only requests whose certgate assertion verifies.
   */
  readonly contosoFiles: ContosoFiles;
  /**
   * The local alert webhook sink (dev/webhookSink.ts), certgate's alert webhook: its page (`/`) lists the signed
   * alert events it received, `/alerts.json` the same as JSON.
   */
  readonly alertSinkUrl: string;
  /** `https://127.0.0.1:<port>`: nginx in front of Contoso Files with auth_request, when started. */
  readonly nginxUrl?: string;
  close(): Promise<void>;
}

async function startPkiServer(dir: () => string, port: number): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const name = basename(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!/^[\w.-]+\.(crl|crt)$/.test(name)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    readFile(join(dir(), name)).then(
      (body) => {
        res.setHeader('content-type', name.endsWith('.crl') ? 'application/pkix-crl' : 'application/pkix-cert');
        res.end(body);
      },
      () => {
        res.statusCode = 404;
        res.end();
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * The app reaches the stand-in over https with its dev CA, which Node trusts only when the process
 * starts with NODE_EXTRA_CA_CERTS (the npm scripts set it). Without it every Graph call fails and
 * decisions that need Graph data follow the fail mode: say so loudly instead of failing quietly.
 */
async function warnUnlessGraphTrusted(graph: GraphStandIn, log: (line: string) => void): Promise<void> {
  try {
    await fetch(`${graph.url}/_standin/calls`);
  } catch {
    const line = `certgate: the Graph stand-in's CA is not trusted by this process: start it with NODE_EXTRA_CA_CERTS=${join(GRAPH_STAND_IN_TLS_DIR, 'ca.crt')} (npm start / npm test do); until then Graph data is unavailable and policies needing it follow the fail mode`;
    console.warn(line);
    log(line);
  }
}

/** Imports every module in `functions/`, as the Functions host loads `main`; they register themselves. */
async function loadFunctions(root: string): Promise<void> {
  installFunctionsCore();
  const dir = join(root, 'functions');
  for (const file of readdirSync(dir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts'))
    .sort()) {
    await import(pathToFileURL(join(dir, file)).href);
  }
}

/** Starts everything; on failure, stops what had started and rethrows. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const log = options.log ?? (() => undefined);
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closer of closers.reverse()) await closer().catch(() => undefined);
  };
  try {
    const azurite = await startAzurite(options.ports.azurite);
    closers.push(() => azurite.close());

    const pkiServer = await startPkiServer(() => options.pkiDir, options.ports.pki);
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          pkiServer.server.closeAllConnections();
          pkiServer.server.close(() => {
            resolve();
          });
        }),
    );
    const pki = await ensureDevPki({ dir: options.pkiDir, crlBaseUrl: pkiServer.url, now: options.now ?? new Date() });

    const issuer = await startDevTokenIssuer({
      host: '127.0.0.1',
      port: 0,
      tenantId: DEV_TENANT_ID,
      ...(options.tokenDir ? { keyDir: options.tokenDir } : {}),
    });
    closers.push(() => issuer.close());
    // Object ids as `dev/tokens/mint.ts` and the Graph stand-in's directory have them.
    const mint = (
      upn: string,
      roles: readonly string[],
      audience: string = DEV_TOKEN_AUDIENCE,
      groups?: readonly string[],
    ) =>
      issuer.mint({
        oid: devObjectIdFor(upn),
        upn,
        roles,
        audience,
        ...(groups ? { groups } : {}),
        expiresInSeconds: 12 * 3600,
      });
    const graph = await startGraphStandIn({ host: '127.0.0.1', port: options.ports.graph ?? 0 });
    closers.push(() => graph.close());
    await warnUnlessGraphTrusted(graph, log);
    const adminToken = await mint('admin@contoso.example', ['Certgate.Admin']);
    // The host's port is known before it listens: Graph's notification URL (a setting) names it.
    const hostPort = options.ports.host === 0 ? await freeLoopbackPort() : options.ports.host;
    // The sample app behind the gate accepts only certgate's signed assertions (the host's JWKS, fetched on first use).
    const contosoFiles = await startContosoFiles({
      host: '127.0.0.1',
      port: options.ports.sampleApp ?? 0,
      certgate: { certgateUrl: `http://127.0.0.1:${hostPort}`, audience: 'contoso-files' },
    });
    closers.push(() => contosoFiles.close());
    // Alerts leave through the queue (the outbox) to this signed webhook, drained by the deliver-alerts queue trigger.
    const alertSink = await startWebhookSink({ secret: DEV_ALERT_WEBHOOK_SECRET, log });
    closers.push(() => alertSink.close());
    const settings = {
      ...localSettings(options.root),
      CERTGATE_MANAGEMENT_TOKEN_ISSUER: issuer.issuer,
      CERTGATE_MANAGEMENT_TOKEN_AUDIENCE: DEV_TOKEN_AUDIENCE,
      CERTGATE_MANAGEMENT_JWKS_URI: issuer.jwksUri,
      CERTGATE_USER_TOKEN_AUDIENCE: DEV_APP_AUDIENCE,
      ...(options.demoPolicies ? { CERTGATE_TRUSTED_PROXIES: '127.0.0.1/32' } : {}),
      // Graph is the stand-in; the app signs in to it with DefaultAzureCredential's environment source.
      CERTGATE_GRAPH_BASE_URL: graph.url,
      // Events in: the stand-in notifies certgate of directory changes, as Graph does.
      CERTGATE_GRAPH_NOTIFICATION_URL: `http://127.0.0.1:${hostPort}/api/notifications/graph`,
      CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATES: 'certgate-dev-notification-client-state',
      ...graph.credentialEnvironment(),
      // Gate mode's assertion key, kept beside the dev PKI (a setting can override it).
      CERTGATE_GATE_SIGNING_KEY: await loadOrCreateGateSigningKey(options.pkiDir),
      CERTGATE_ALERT_SINKS: 'webhook',
      CERTGATE_ALERT_WEBHOOK_URL: alertSink.url,
      CERTGATE_ALERT_WEBHOOK_SECRET: DEV_ALERT_WEBHOOK_SECRET,
      ...(options.settings ?? {}),
      CERTGATE_STORAGE_CONNECTION_STRING: azurite.connectionString,
    };
    // The forward-auth path: nginx proves itself to certgate as an `nginx` gateway with its own secret.
    const nginx = options.nginx === true ? nginxAvailability() : undefined;
    if (nginx && !nginx.available) log(`certgate: the nginx forward-auth path is off: ${nginx.reason}`);
    Object.assign(process.env, nginx?.available ? withNginxGateway(settings, DEV_NGINX_SECRET) : settings);
    const config = loadConfig(process.env);

    await loadFunctions(options.root);
    // As the worker does once the app is loaded: its start-up hook builds the services now.
    await runAppStartHooks();
    // Closing runs the worker's terminate hooks (buffered decisions and alerts written) once the host has
    // stopped serving and before storage stops: closers run in reverse order.
    closers.push(() => runAppTerminateHooks());
    const host: FunctionsHost = await startFunctionsHost({
      routePrefix: hostJsonRoutePrefix(),
      functions: registeredFunctions(),
      port: hostPort,
      functionKeys: [options.functionKey],
      masterKey: options.masterKey,
      // Absent when nothing takes the lines: the host then formats none.
      log: options.log,
      timerSeconds: options.timerSeconds ?? 60,
    });
    closers.push(() => host.close());
    // The local host serves HTTP and timers; queue-triggered functions (deliver-alerts) poll Azurite here.
    const queueTriggers = await startQueueTriggers({
      functions: registeredFunctions(),
      connectionString: azurite.connectionString,
      log,
    });
    closers.push(() => queueTriggers.close());

    // The dev CAs go in through the management API, as an admin would add them: the issuing CA
    // with revocation required (its CRL lists `revoked`), the root with the default policy.
    const manage = async (path: string, body: unknown): Promise<Response> =>
      fetch(`${host.url}/api/manage/${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-functions-key': options.functionKey,
          authorization: `Bearer ${adminToken}`,
        },
        body: JSON.stringify(body),
      });
    for (const ca of [
      { pem: pki.root.certPem, label: 'Contoso Dev Root CA' },
      {
        pem: pki.intermediate.certPem,
        label: 'Contoso Dev Issuing CA',
        revocation: { mode: 'required', unknown: 'block' },
        crlUrls: [pki.crls.intermediate.url],
      },
    ]) {
      const added = await manage('cas', ca);
      if (added.status !== 201)
        throw new Error(`registering the dev CA ${ca.label} failed: ${added.status} ${await added.text()}`);
    }
    const refreshed = await manage('revocation/refresh', {});
    if (refreshed.status !== 200)
      throw new Error(`loading the dev CRLs failed: ${refreshed.status} ${await refreshed.text()}`);
    if (options.demoPolicies) {
      const demo = demoPolicyConfiguration(createHash('sha256').update(pki.intermediate.certDer).digest('hex'));
      const withLocalOffice = {
        ...demo,
        apps: demo.apps.map((a) => (a.id === 'contoso-files' ? { ...a, upstream: contosoFiles.url } : a)),
        locations: demo.locations.map((l) =>
          l.tags.includes('corporate') ? { ...l, ranges: [...l.ranges, '127.0.0.2/32'] } : l,
        ),
      };
      const imported = await manage('configuration', withLocalOffice);
      if (imported.status !== 200)
        throw new Error(`loading the demo policies failed: ${imported.status} ${await imported.text()}`);
    }

    const subscribed = await manage('notifications/subscriptions', {});
    if (subscribed.status !== 200)
      throw new Error(
        `subscribing to the Graph stand-in's change notifications failed: ${subscribed.status} ${await subscribed.text()}`,
      );

    const secret = config.gateway.secrets[0];
    if (!secret) throw new Error('the local gateway needs CERTGATE_GATEWAY_SECRETS');
    const gateway = await startLocalGateway({
      host: '127.0.0.1',
      port: options.ports.gateway,
      upstream: host.url,
      serverCertPem: pki.gateway.chainPem,
      serverKeyPem: pki.gateway.keyPem,
      clientCaPems: [pki.root.certPem, pki.intermediate.certPem],
      format: config.gateway.kind,
      secretHeader: config.gateway.secretHeader,
      secret,
      mode: config.gateway.mode,
    });
    closers.push(() => gateway.close());

    const nginxFront = nginx?.available
      ? await startForwardAuthNginx({
          port: options.ports.nginx ?? 0,
          certgateUrl: host.url,
          appUrl: contosoFiles.url,
          secret: DEV_NGINX_SECRET,
          secretHeader: config.gateway.secretHeader,
          serverCertPem: pki.gateway.chainPem,
          serverKeyPem: pki.gateway.keyPem,
        })
      : undefined;
    if (nginxFront) closers.push(() => nginxFront.close());

    return {
      hostUrl: host.url,
      gatewayUrl: gateway.url,
      pkiUrl: pkiServer.url,
      pki,
      config,
      azurite,
      graph,
      functionKey: options.functionKey,
      tokens: { issuer: issuer.issuer, adminToken, mint },
      demoPolicies: options.demoPolicies ?? false,
      contosoFiles,
      alertSinkUrl: alertSink.url,
      ...(nginxFront ? { nginxUrl: nginxFront.url } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A stack on free ports with a throw-away dev PKI, for tests, benchmarks and the fuzzer. `name`
 * (letters and digits) prefixes the tables and the keys (`<name>-function-key`); `close()` also
 * deletes the PKI.
 */
export async function startEphemeralStack(
  name: string,
  settings: Record<string, string> = {},
  options: { demoPolicies?: boolean; nginx?: boolean } = {},
): Promise<Stack> {
  const pkiDir = mkdtempSync(join(tmpdir(), `certgate-${name}-`));
  const removePki = () => {
    rmSync(pkiDir, { recursive: true, force: true });
  };
  try {
    const stack = await startStack({
      root: fileURLToPath(new URL('..', import.meta.url)),
      pkiDir,
      ports: { host: 0, gateway: 0, pki: 0, azurite: { blob: 0, queue: 0, table: 0 } },
      functionKey: `${name}-function-key`,
      masterKey: `${name}-master-key`,
      settings: { CERTGATE_TABLE_PREFIX: name, ...settings },
      ...options,
    });
    return {
      ...stack,
      close: async () => {
        await stack.close();
        removePki();
      },
    };
  } catch (error) {
    removePki();
    throw error;
  }
}
