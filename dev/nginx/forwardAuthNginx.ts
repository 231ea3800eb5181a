/**
 * A real nginx (the Debian package, /usr/sbin/nginx) in front of an app, asking certgate before
 * every request with `auth_request` (/api/forward-auth/nginx): the forward-auth path of the local
 * stack and of test/forwardAuth/nginx.test.ts. It runs unprivileged (as `nobody` when started by
 * root) from a generated configuration in a temporary directory (pid, logs and temp paths there),
 * listens on a loopback port with TLS, asks for a client certificate without verifying it
 * (`ssl_verify_client optional_no_ca`: certgate validates) and forwards it as
 * `$ssl_client_escaped_cert` (the `nginx` gateway format: URL-encoded PEM leaf in X-SSL-Client-Cert).
 * `nginxForwardAuthConfig` is the configuration docs/gateways.md shows.
 * Dev and test only.
 * May import: node built-ins, ../listen.js.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../listen.js';

/** Where the Debian package installs nginx (override with CERTGATE_NGINX_BINARY). */
export const NGINX_BINARY = process.env.CERTGATE_NGINX_BINARY ?? '/usr/sbin/nginx';

/** Whether nginx can be run here, and if not why (the test says so loudly). */
export function nginxAvailability(
  binary: string = NGINX_BINARY,
): { available: true } | { available: false; reason: string } {
  try {
    accessSync(binary, constants.X_OK);
    return { available: true };
  } catch {
    return {
      available: false,
      reason: `nginx is not installed at ${binary} (Debian: apt-get install nginx; .ci/run installs it)`,
    };
  }
}

/** What the generated configuration needs. */
export interface NginxForwardAuthOptions {
  /** Loopback port nginx listens on (TLS). */
  readonly port: number;
  /** certgate's base URL, `http://host:port` (the Functions host). */
  readonly certgateUrl: string;
  /** The protected app's base URL, `http://host:port`. */
  readonly appUrl: string;
  /** The gateway secret certgate expects from this nginx (its `nginx` gateway's secret). */
  readonly secret: string;
  readonly secretHeader: string;
  /** Paths of nginx's TLS certificate chain and key (PEM). */
  readonly serverCertPath: string;
  readonly serverKeyPath: string;
  /** The directory for pid, logs and temp files. */
  readonly dir: string;
}

function hostPort(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:') throw new Error(`nginx forward-auth: ${url} must be http:// (loopback)`);
  return parsed.host;
}

/**
 * The nginx configuration: a server that asks certgate (`auth_request`) before proxying to the
 * app, copies certgate's identity headers upstream (`auth_request_set`; an empty value removes a
 * client-sent copy), and shows certgate's block page for 401 / 403 through an internal redirect.
 */
export function nginxForwardAuthConfig(options: NginxForwardAuthOptions): string {
  const { dir } = options;
  const secret = options.secret.replace(/["\\$]/g, '');
  return `# Generated for the certgate forward-auth path (dev/nginx/forwardAuthNginx.ts).
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 256; }

http {
    access_log ${join(dir, 'access.log')};
    client_body_temp_path ${join(dir, 'client_body')};
    proxy_temp_path ${join(dir, 'proxy')};
    fastcgi_temp_path ${join(dir, 'fastcgi')};
    uwsgi_temp_path ${join(dir, 'uwsgi')};
    scgi_temp_path ${join(dir, 'scgi')};

    upstream certgate { server ${hostPort(options.certgateUrl)}; }
    upstream protected_app { server ${hostPort(options.appUrl)}; }

    server {
        listen 127.0.0.1:${options.port} ssl;
        ssl_certificate     ${options.serverCertPath};
        ssl_certificate_key ${options.serverKeyPath};
        # Ask for a client certificate, verify nothing: certgate validates (chain, EKU, revocation).
        ssl_verify_client   optional_no_ca;

        location / {
            auth_request /_certgate/authorize;
            auth_request_set $certgate_user        $upstream_http_x_certgate_user;
            auth_request_set $certgate_device_tags $upstream_http_x_certgate_device_tags;
            auth_request_set $certgate_decision_id $upstream_http_x_certgate_decision_id;
            auth_request_set $certgate_assertion   $upstream_http_x_certgate_assertion;
            auth_request_set $certgate_block_page  $upstream_http_x_certgate_block_page;
            error_page 401 403 = @certgate_blocked;

            # proxy_set_header replaces what the client sent; an empty value removes the header.
            proxy_set_header X-Certgate-User          $certgate_user;
            proxy_set_header X-Certgate-Device-Tags   $certgate_device_tags;
            proxy_set_header X-Certgate-Decision-Id   $certgate_decision_id;
            proxy_set_header X-Certgate-Assertion     $certgate_assertion;
            proxy_set_header X-SSL-Client-Cert        "";
            proxy_set_header ${options.secretHeader} "";
            proxy_set_header X-Forwarded-For          $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto        $scheme;
            proxy_pass http://protected_app;
        }

        location = /_certgate/authorize {
            internal;
            proxy_pass http://certgate/api/forward-auth/nginx;
            proxy_pass_request_body off;
            proxy_set_header Content-Length      "";
            proxy_set_header X-Original-Method   $request_method;
            proxy_set_header X-Original-Host     $host;
            proxy_set_header X-Original-URI      $request_uri;
            proxy_set_header X-Original-Proto    $scheme;
            proxy_set_header X-SSL-Client-Cert   $ssl_client_escaped_cert;
            proxy_set_header X-SSL-Client-Verify $ssl_client_verify;
            proxy_set_header ${options.secretHeader} "${secret}";
            proxy_set_header X-Forwarded-For     $proxy_add_x_forwarded_for;
        }

        location @certgate_blocked {
            # certgate's block page for this decision (HTML for browsers, JSON otherwise), status 403.
            proxy_pass http://certgate$certgate_block_page;
            proxy_method GET;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }
    }
}
`;
}

/** A running nginx. */
export interface ForwardAuthNginx {
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The configuration it runs. */
  readonly config: string;
  /** The error log so far (for failure messages). */
  errorLog(): string;
  close(): Promise<void>;
}

async function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

const NOBODY = 65534;

/** Starts nginx (see the module comment); `port` 0 picks a free one. Throws with the error log if it does not start. */
export async function startForwardAuthNginx(
  options: Omit<NginxForwardAuthOptions, 'dir' | 'serverCertPath' | 'serverKeyPath' | 'port'> & {
    readonly port: number;
    readonly serverCertPem: string;
    readonly serverKeyPem: string;
    readonly binary?: string;
  },
): Promise<ForwardAuthNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'certgate-nginx-'));
  const port = options.port === 0 ? await freeLoopbackPort() : options.port;
  const serverCertPath = join(dir, 'server.pem');
  const serverKeyPath = join(dir, 'server.key');
  writeFileSync(serverCertPath, options.serverCertPem);
  writeFileSync(serverKeyPath, options.serverKeyPem, { mode: 0o600 });
  const config = nginxForwardAuthConfig({ ...options, port, dir, serverCertPath, serverKeyPath });
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, config);
  // Never as root: started by root (CI containers), nginx runs as nobody and owns its directory.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    for (const path of [dir, serverCertPath, serverKeyPath, configPath]) chownSync(path, NOBODY, NOBODY);
    chmodSync(dir, 0o700);
  }
  const errorLogPath = join(dir, 'error.log');
  const child: ChildProcess = spawn(
    options.binary ?? NGINX_BINARY,
    ['-p', dir, '-c', configPath, '-e', errorLogPath, '-g', 'daemon off;'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}) },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  const errorLog = () => {
    let log = '';
    try {
      log = readFileSync(errorLogPath, 'utf8');
    } catch {
      // not written yet
    }
    return `${stderr}${log}`;
  };
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const log = errorLog();
      await close();
      throw new Error(`nginx exited at start (${child.exitCode ?? child.signalCode}):\n${log}`);
    }
    if (await accepting(port)) break;
    if (Date.now() > deadline) {
      const log = errorLog();
      await close();
      throw new Error(`nginx did not listen on 127.0.0.1:${port} within 10 s:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `https://127.0.0.1:${port}`, port, config, errorLog, close };
}

/** The secret the local stack's nginx proves itself with (dev only). */
export const DEV_NGINX_SECRET = 'dev-nginx-forward-auth-secret-0123456789';

/** App settings with an `nginx` gateway (its own secret) added to CERTGATE_ADDITIONAL_GATEWAYS. */
export function withNginxGateway(settings: Record<string, string>, secret: string): Record<string, string> {
  const current = settings.CERTGATE_ADDITIONAL_GATEWAYS?.trim();
  const gateways = current ? (JSON.parse(current) as unknown[]) : [];
  return {
    ...settings,
    CERTGATE_ADDITIONAL_GATEWAYS: JSON.stringify([...gateways, { kind: 'nginx', secrets: [secret] }]),
  };
}
