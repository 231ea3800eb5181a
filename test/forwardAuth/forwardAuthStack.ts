/**
 * What the forward-auth tests share: a stack whose gateways are one of each proxy's certificate
 * format (nginx, envoy, traefik, and rfc9440 for API Management), each with its own secret, a gate
 * signing key, and two registered apps on one host (`files`, and `files-admin` under /admin), so
 * the app a decision names shows which original host and URI certgate believed. Raw HTTP to the
 * local Functions host, shaped as each proxy sends it.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { request } from 'node:http';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';

export const FILES_HOST = 'files.contoso.example';
export const SECRETS = {
  nginx: 'forward-auth-nginx-secret-0123456789',
  envoy: 'forward-auth-envoy-secret-0123456789',
  traefik: 'forward-auth-traefik-secret-0123456789',
  rfc9440: 'forward-auth-apim-secret-0123456789',
} as const;

/** A stack for forward-auth, and the public key its assertions verify with. */
export async function startForwardAuthStack(name: string): Promise<{ stack: Stack; assertionKey: KeyObject }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const stack = await startEphemeralStack(name, {
    CERTGATE_GATEWAY_KIND: 'nginx',
    CERTGATE_GATEWAY_SECRETS: SECRETS.nginx,
    CERTGATE_ADDITIONAL_GATEWAYS: JSON.stringify(
      (['envoy', 'traefik', 'rfc9440'] as const).map((kind) => ({ kind, secrets: [SECRETS[kind]] })),
    ),
    CERTGATE_GATE_SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    CERTGATE_CONFIG_REFRESH_SECONDS: '0',
  });
  try {
    for (const [id, app] of Object.entries({
      files: { name: 'Contoso Files', hosts: [{ host: FILES_HOST }] },
      'files-admin': { name: 'Contoso Files admin', hosts: [{ host: FILES_HOST, pathPrefix: '/admin' }] },
    })) {
      const response = await fetch(`${stack.hostUrl}/api/manage/apps/${id}`, {
        method: 'PUT',
        headers: {
          'content-type': 'application/json',
          'x-functions-key': stack.functionKey,
          authorization: `Bearer ${stack.tokens.adminToken}`,
        },
        body: JSON.stringify(app),
      });
      if (response.status !== 201 && response.status !== 200)
        throw new Error(`registering ${id}: ${response.status} ${await response.text()}`);
    }
  } catch (error) {
    await stack.close();
    throw error;
  }
  return { stack, assertionKey: publicKey };
}

/** The session policy the forward-auth tests put on `files`: no uploads, with a message and an alert. */
export const NO_UPLOADS_POLICY = {
  name: 'Contoso Files: no uploads',
  state: 'enabled',
  priority: 10,
  conditions: { apps: { include: [{ appId: 'files' }] } },
  controls: [
    {
      type: 'block-upload',
      files: { multipartFile: true, contentTypes: ['application/octet-stream'] },
      message: 'Uploads to Contoso Files are switched off.',
      alert: { severity: 'medium' },
    },
  ],
};

/** Creates or replaces a session policy through the management API. */
export async function putSessionPolicy(stack: Stack, id: string, policy: unknown): Promise<void> {
  const url = `${stack.hostUrl}/api/manage/session-policies/${id}`;
  const headers = {
    'content-type': 'application/json',
    'x-functions-key': stack.functionKey,
    authorization: `Bearer ${stack.tokens.adminToken}`,
  };
  const current = await fetch(url, { headers });
  const etag = current.ok ? current.headers.get('etag') : null;
  await current.arrayBuffer();
  const response = await fetch(url, {
    method: 'PUT',
    headers: { ...headers, ...(etag ? { 'if-match': etag } : {}) },
    body: JSON.stringify(policy),
  });
  if (response.status !== 201 && response.status !== 200)
    throw new Error(`session policy ${id}: ${response.status} ${await response.text()}`);
}

/** A raw HTTP answer. */
export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly text: string;
  readonly json: unknown;
}

/** One request exactly as given (method, origin-form path, headers, Host included), no body. */
export async function rawRequest(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<RawAnswer> {
  const base = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: base.hostname, port: base.port, method, path, headers, agent: false, setHost: !('host' in headers) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          const flat: Record<string, string> = {};
          for (const [key, value] of Object.entries(res.headers))
            if (value !== undefined) flat[key] = Array.isArray(value) ? value.join(', ') : value;
          resolve({ status: res.statusCode ?? 0, headers: flat, text, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
