/**
 * Forward-auth contracts: the requests Envoy ext_authz (HTTP service), Traefik forwardAuth, API
 * Management send-request (the policy in docs/gateways.md) and nginx auth_request send, as raw HTTP
 * to the local Functions host, decided by the one pipeline for the registered app of the original
 * host and URI. Spoofing: the same requests without the gateway proof are refused, and forwarded
 * facts a client slipped through the proxy never describe the request.
 */
import type { KeyObject } from 'node:crypto';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack.js';
import { encodeForwardedCertificate, type GatewayKind } from '../../shared/cert/intake/index.js';
import { FORWARD_AUTH_DIALECTS, type ForwardAuthProxy } from '../../shared/forwardAuth/dialects/index.js';
import {
  FILES_HOST,
  NO_UPLOADS_POLICY,
  SECRETS,
  putSessionPolicy,
  rawRequest,
  startForwardAuthStack,
} from './forwardAuthStack.js';

let stack: Stack;
let assertionKey: KeyObject;

beforeAll(async () => {
  ({ stack, assertionKey } = await startForwardAuthStack('fwdauth'));
  await putSessionPolicy(stack, 'files-no-uploads', NO_UPLOADS_POLICY);
}, 120_000);

afterAll(async () => {
  await stack.close();
});

/** The original request a proxy holds. */
interface Original {
  readonly method: string;
  readonly host: string;
  readonly uri: string;
  readonly headers?: Record<string, string>;
}

/** What a proxy sends certgate for it. */
interface Asked {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
}

interface Options {
  readonly client?: 'alice';
  readonly proof?: boolean;
  /** Leave a fact out: which one. */
  readonly omit?: 'uri';
}

const FORMAT: Record<ForwardAuthProxy, GatewayKind> = {
  nginx: 'nginx',
  envoy: 'envoy',
  traefik: 'traefik',
  apim: 'rfc9440',
};

function certificateHeaders(proxy: ForwardAuthProxy, options: Options): Record<string, string> {
  const alice = stack.pki.users.alice!;
  if (options.client !== 'alice') return proxy === 'nginx' ? { 'x-ssl-client-verify': 'NONE' } : {};
  return encodeForwardedCertificate(FORMAT[proxy], alice.certDer, [stack.pki.intermediate.certDer], {
    ...(proxy === 'nginx' ? { verification: { status: 'success' } } : {}),
  });
}

function proofHeaders(proxy: ForwardAuthProxy, options: Options): Record<string, string> {
  return options.proof === false
    ? {}
    : { [stack.config.gateway.secretHeader]: SECRETS[FORMAT[proxy] as keyof typeof SECRETS] };
}

/** Each proxy's documented request shape. */
const ASK: Record<ForwardAuthProxy, (original: Original, options: Options) => Asked> = {
  // location = /_certgate/authorize { proxy_pass …/api/forward-auth/nginx; proxy_set_header … } (the
  // client's own headers travel along; nginx sets Host to the upstream's name)
  nginx: (original, options) => ({
    method: original.method,
    path: '/api/forward-auth/nginx',
    headers: {
      ...original.headers,
      host: 'certgate',
      'x-original-method': original.method,
      'x-original-host': original.host,
      ...(options.omit === 'uri' ? {} : { 'x-original-uri': original.uri }),
      'x-original-proto': 'https',
      'x-forwarded-for': '198.51.100.7',
      ...certificateHeaders('nginx', options),
      ...proofHeaders('nginx', options),
    },
  }),
  // http_service { path_prefix: /api/forward-auth/envoy }: method kept, path appended, :authority as
  // Host, Content-Length 0, allowed_headers, headers_to_add (the secret), x-forwarded-client-cert.
  envoy: (original, options) => ({
    method: original.method,
    path: options.omit === 'uri' ? '/api/forward-auth/envoy' : `/api/forward-auth/envoy${original.uri}`,
    headers: {
      ...original.headers,
      host: original.host,
      'content-length': '0',
      'x-forwarded-proto': 'https',
      'x-request-id': '6f1c1d8e-5f7e-4d9b-9c61-6a7f1a0c2b11',
      'x-envoy-expected-rq-timeout-ms': '1000',
      ...certificateHeaders('envoy', options),
      ...proofHeaders('envoy', options),
    },
  }),
  // forwardAuth { address: …/api/forward-auth/traefik }: a GET with the client's headers and X-Forwarded-*.
  traefik: (original, options) => ({
    method: 'GET',
    path: '/api/forward-auth/traefik',
    headers: {
      ...original.headers,
      host: 'certgate',
      'x-forwarded-method': original.method,
      'x-forwarded-proto': 'https',
      'x-forwarded-host': original.host,
      ...(options.omit === 'uri' ? {} : { 'x-forwarded-uri': original.uri }),
      'x-forwarded-for': '198.51.100.7',
      ...certificateHeaders('traefik', options),
      ...proofHeaders('traefik', options),
    },
  }),
  // <send-request mode="new"> with the headers docs/gateways.md's policy sets.
  apim: (original, options) => ({
    method: 'GET',
    path: '/api/forward-auth/apim',
    headers: {
      ...original.headers,
      host: 'certgate',
      'x-original-method': original.method,
      ...(options.omit === 'uri' ? {} : { 'x-original-url': `https://${original.host}${original.uri}` }),
      ...certificateHeaders('apim', options),
      ...proofHeaders('apim', options),
    },
  }),
};

async function ask(proxy: ForwardAuthProxy, original: Original, options: Options = {}) {
  const asked = ASK[proxy](original, options);
  return rawRequest(stack.hostUrl, asked.method, asked.path, asked.headers);
}

const CANONICAL_FACTS = ['x-forwarded-host', 'x-original-host', 'x-original-url', 'x-forwarded-uri'];

describe.each(FORWARD_AUTH_DIALECTS.map((dialect) => ({ proxy: dialect.name, dialect })))(
  '$proxy',
  ({ proxy, dialect }) => {
    it('allows a valid certificate for the app of the original host and URI, with the identity headers', async () => {
      const answer = await ask(
        proxy,
        { method: 'GET', host: FILES_HOST, uri: '/reports/q3.xlsx?download=1' },
        { client: 'alice' },
      );
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json).toMatchObject({
        decision: 'allow',
        app: { id: 'files' },
        reasons: expect.arrayContaining(['client-certificate-valid']),
      });
      const decisionId = answer.headers['x-certgate-decision-id'];
      expect(decisionId).toBe(answer.headers['x-correlation-id']);
      expect(answer.headers['x-certgate-device-tags']).toBe('valid-client-certificate');
      const { payload } = await jwtVerify(answer.headers['x-certgate-assertion'] ?? '', assertionKey, {
        audience: 'files',
      });
      expect(payload).toMatchObject({ aud: 'files', device_tags: ['valid-client-certificate'] });
      // The decision that issued the assertion: this answer's (X-Certgate-Decision-Id), or an earlier
      // allow of the same certificate for this app within half the assertion's lifetime (docs/gate.md).
      expect(payload.decision_id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('resolves the app from the original URI and keeps the method', async () => {
      const answer = await ask(proxy, { method: 'POST', host: FILES_HOST, uri: '/admin/users' }, { client: 'alice' });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json).toMatchObject({ app: { id: 'files-admin' } });
    });

    it('blocks a browser without a certificate with the block page, and names the page for proxies that drop it', async () => {
      const answer = await ask(proxy, {
        method: 'GET',
        host: FILES_HOST,
        uri: '/',
        headers: { accept: 'text/html,application/xhtml+xml' },
      });
      expect(answer.status).toBe(403);
      expect(answer.headers['content-type']).toMatch(/^text\/html/);
      expect(answer.text).toContain('Access blocked');
      expect(answer.headers['x-certgate-assertion']).toBeUndefined();
      const page = answer.headers['x-certgate-block-page'] ?? '';
      expect(page).toMatch(/^\/api\/blocked\?/);
      const shown = await rawRequest(stack.hostUrl, 'GET', page, { accept: 'application/json' });
      expect(shown.status).toBe(403);
      expect(shown.json).toMatchObject({
        reasons: ['client-certificate-required'],
        correlationId: answer.headers['x-correlation-id'],
      });
    });

    it('refuses the same request without the gateway proof, certificate or not (401, nothing decided)', async () => {
      for (const client of ['alice', undefined] as const) {
        const answer = await ask(
          proxy,
          { method: 'GET', host: FILES_HOST, uri: '/reports/q3.xlsx' },
          { proof: false, ...(client ? { client } : {}) },
        );
        expect(answer.status).toBe(401);
        expect(answer.json).toMatchObject({ error: { code: 'forward-auth-untrusted-forwarder' } });
        expect(answer.headers['x-certgate-assertion']).toBeUndefined();
      }
    });

    it('ignores forwarded facts a client slipped through the proxy', async () => {
      const slipped = Object.fromEntries(
        CANONICAL_FACTS.filter((name) => !dialect.factHeaders.includes(name)).map((name) => [
          name,
          name.endsWith('host') ? 'elsewhere.contoso.example' : '/admin/users',
        ]),
      );
      const answer = await ask(
        proxy,
        { method: 'GET', host: FILES_HOST, uri: '/reports', headers: slipped },
        { client: 'alice' },
      );
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json).toMatchObject({ app: { id: 'files' } });
    });

    it('applies session controls to the request side from what the headers show', async () => {
      const multipart = { 'content-type': 'multipart/form-data; boundary=x', accept: 'application/json' };
      const upload = await ask(
        proxy,
        { method: 'POST', host: FILES_HOST, uri: '/upload', headers: multipart },
        { client: 'alice' },
      );
      expect(upload.status, upload.text).toBe(403);
      expect(upload.json).toMatchObject({
        decision: 'block',
        reasons: ['session-upload-blocked'],
        rule: 'multipart-uninspectable',
        blockMessage: NO_UPLOADS_POLICY.controls[0]!.message,
      });
      expect(upload.headers['x-certgate-assertion']).toBeUndefined();
      const octets = await ask(
        proxy,
        {
          method: 'PUT',
          host: FILES_HOST,
          uri: '/files/new.bin',
          headers: { 'content-type': 'application/octet-stream' },
        },
        { client: 'alice' },
      );
      expect(octets.status).toBe(403);
      expect(octets.json).toMatchObject({ reasons: ['session-upload-blocked'], rule: 'content-type' });
      const page = await ask(
        proxy,
        { method: 'POST', host: FILES_HOST, uri: '/upload', headers: { ...multipart, accept: 'text/html' } },
        { client: 'alice' },
      );
      expect(page.status).toBe(403);
      expect(page.text).toContain('Uploads to Contoso Files are switched off.');
      // The same app, reading: allowed; another app (files-admin has no session policy): uploads allowed.
      const read = await ask(proxy, { method: 'GET', host: FILES_HOST, uri: '/upload' }, { client: 'alice' });
      expect(read.status).toBe(200);
      const admin = await ask(
        proxy,
        { method: 'POST', host: FILES_HOST, uri: '/admin/upload', headers: multipart },
        { client: 'alice' },
      );
      expect(admin.status).toBe(200);
    });

    it('answers 400 with a stable code when the original request is not described', async () => {
      const missing = await ask(
        proxy,
        { method: 'GET', host: FILES_HOST, uri: '/x' },
        { client: 'alice', omit: 'uri' },
      );
      expect(missing.status).toBe(400);
      expect(missing.json).toMatchObject({ error: { code: 'forward-auth-original-uri-missing' } });
      const badHost = await ask(proxy, { method: 'GET', host: 'files_contoso', uri: '/x' }, { client: 'alice' });
      expect(badHost.status).toBe(400);
      expect(badHost.json).toMatchObject({ error: { code: 'forward-auth-original-host-invalid' } });
    });
  },
);

describe('fuzzed original-request descriptions', () => {
  it('never produce a 5xx: every answer is a decision or a stable 4xx', async () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = [
      '/',
      '//',
      '..',
      '%2e%2e',
      '%00',
      '?',
      '#',
      ' ',
      ',',
      ';',
      ':',
      '[',
      ']',
      '@',
      'a',
      'Z',
      '9',
      '-',
      '.',
      '\\',
      '"',
      '*',
    ];
    const junk = () => Array.from({ length: 1 + random(24) }, () => pieces[random(pieces.length)]).join('');
    const statuses = new Map<number, number>();
    for (let i = 0; i < 240; i++) {
      const proxy = FORWARD_AUTH_DIALECTS[i % FORWARD_AUTH_DIALECTS.length]!.name;
      const original = {
        method: random(3) === 0 ? junk().replace(/ /g, '') || 'GET' : 'GET',
        host: random(2) === 0 ? junk() : FILES_HOST,
        uri: random(2) === 0 ? `/${junk()}` : junk(),
      };
      const asked = ASK[proxy](original, { client: random(2) === 0 ? 'alice' : undefined });
      if (proxy === 'envoy') asked.headers.host = original.host.replace(/[^\x21-\x7e]/g, '') || 'x';
      let answer;
      try {
        answer = await rawRequest(
          stack.hostUrl,
          proxy === 'envoy' ? 'GET' : asked.method,
          encodeURI(asked.path).replace(/%25/g, '%'),
          asked.headers,
        );
      } catch {
        continue; // Node refused to send it (an invalid header or path): nothing reached certgate
      }
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      expect(answer.status, `${proxy} ${JSON.stringify(original)}: ${answer.text}`).toBeLessThan(500);
    }
    expect([...statuses.keys()]).toEqual(expect.arrayContaining([200, 400]));
  });
});

describe('the forward-auth routes', () => {
  it('answer 404 with a stable code for a proxy certgate does not speak', async () => {
    const answer = await rawRequest(stack.hostUrl, 'GET', '/api/forward-auth/haproxy', { host: 'certgate' });
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({ error: { code: 'forward-auth-proxy-unknown' } });
  });

  it('the block page shows only certgate reasons and a well-formed reference', async () => {
    const answer = await rawRequest(
      stack.hostUrl,
      'GET',
      '/api/blocked?reason=certificate-revoked&reason=call-555-0100-now&correlationId=%3Cscript%3E',
      { accept: 'text/html' },
    );
    expect(answer.status).toBe(403);
    expect(answer.text).toContain('revoked');
    expect(answer.text).not.toContain('555');
    expect(answer.text).not.toContain('<script>');
  });
});
