/**
 * The real nginx path, end to end: nginx (the Debian package) terminates TLS with
 * `ssl_verify_client optional_no_ca`, asks certgate with `auth_request` (/api/forward-auth/nginx,
 * the client certificate as `$ssl_client_escaped_cert`, the `nginx` gateway format) and copies the
 * identity headers to Contoso Files, which serves only requests whose signed assertion verifies
 * against certgate's JWKS. Blocks show certgate's block page through `error_page … = @certgate_blocked`.
 * Without nginx the suite says so loudly and is skipped; under CI=true it fails instead.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxAvailability, startForwardAuthNginx, type ForwardAuthNginx } from '../../dev/nginx/forwardAuthNginx.js';
import { startContosoFiles, type ContosoFiles } from '../../dev/sampleApp/index.js';
import type { Stack } from '../../dev/stack.js';
import { FILES_HOST, NO_UPLOADS_POLICY, SECRETS, putSessionPolicy, startForwardAuthStack } from './forwardAuthStack.js';

const availability = nginxAvailability();

if (!availability.available) {
  const message = `\n\n*** nginx forward-auth tests NOT RUN: ${availability.reason} ***\n`;
  console.warn(message);
  describe('real nginx forward-auth', () => {
    if (process.env.CI === 'true')
      it('needs nginx under CI', () => {
        expect.fail(message);
      });
    else it.skip(`skipped: ${availability.reason}`, () => undefined);
  });
} else {
  let stack: Stack;
  let app: ContosoFiles;
  let nginx: ForwardAuthNginx;

  beforeAll(async () => {
    ({ stack } = await startForwardAuthStack('fwdnginx'));
    app = await startContosoFiles({ certgate: { certgateUrl: stack.hostUrl } });
    nginx = await startForwardAuthNginx({
      port: 0,
      certgateUrl: stack.hostUrl,
      appUrl: app.url,
      secret: SECRETS.nginx,
      secretHeader: stack.config.gateway.secretHeader,
      serverCertPem: stack.pki.gateway.chainPem,
      serverKeyPem: stack.pki.gateway.keyPem,
    });
  }, 120_000);

  afterAll(async () => {
    // Whatever started before a failure in beforeAll.
    await (nginx as ForwardAuthNginx | undefined)?.close();
    await (app as ContosoFiles | undefined)?.close();
    await (stack as Stack | undefined)?.close();
  });

  interface Answer {
    readonly status: number;
    readonly headers: Record<string, string | string[] | undefined>;
    readonly text: string;
  }

  /** A request to nginx as a browser on files.contoso.example would send it (with a client certificate or none). */
  async function viaNginx(
    path: string,
    options: {
      client?: string;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
    } = {},
  ): Promise<Answer> {
    const url = new URL(path, nginx.url);
    const user = options.client ? stack.pki.users[options.client] : undefined;
    if (options.client && !user) throw new Error(`no dev certificate ${options.client}`);
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        url,
        {
          method: options.method ?? 'GET',
          ca: stack.pki.root.certPem,
          headers: { host: FILES_HOST, ...options.headers },
          servername: '',
          checkServerIdentity: (_host: string, certificate: PeerCertificate) =>
            checkServerIdentity(url.hostname, certificate),
          agent: false,
          ...(user ? { cert: readFileSync(user.certPath), key: readFileSync(user.keyPath) } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }

  interface WhoAmI {
    headers: Record<string, string | undefined>;
    assertion: { verified: boolean; claims?: Record<string, unknown> } | null;
  }

  describe('real nginx forward-auth', () => {
    it('lets a valid certificate through to the app with identity headers and an assertion that verifies', async () => {
      const answer = await viaNginx('/whoami?format=json', {
        client: 'alice',
        headers: { 'x-certgate-user': 'mallory@contoso.example', accept: 'application/json' },
      });
      expect(answer.status, `${answer.text}\n${nginx.errorLog()}`).toBe(200);
      const seen = JSON.parse(answer.text) as WhoAmI;
      expect(seen.assertion).toMatchObject({ verified: true, claims: { aud: 'files' } });
      expect(seen.headers['x-certgate-device-tags']).toBe('valid-client-certificate');
      expect(seen.headers['x-certgate-decision-id']).toMatch(/\S{8,}/);
      // No user was identified (no token): nginx's empty value removed the client's forged header.
      expect(seen.headers['x-certgate-user']).toBeUndefined();
    });

    it('decides for the app of the original URI, keeps the method, and passes the body to the app', async () => {
      const boundary = 'certgate-boundary';
      const body = [
        `--${boundary}`,
        'Content-Disposition: form-data; name="file"; filename="notes.txt"',
        'Content-Type: text/plain',
        '',
        'forward-auth through nginx',
        `--${boundary}--`,
        '',
      ].join('\r\n');
      const answer = await viaNginx('/upload?format=json', {
        client: 'alice',
        method: 'POST',
        headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, accept: 'application/json' },
        body,
      });
      expect(answer.status, answer.text).toBeLessThan(400);
      expect(app.uploads().at(-1)).toMatchObject({ name: 'notes.txt', size: 'forward-auth through nginx'.length });
    });

    it('a block-upload session policy stops the upload before nginx sends the body anywhere', async () => {
      await putSessionPolicy(stack, 'files-no-uploads', NO_UPLOADS_POLICY);
      const before = app.uploads().length;
      const answer = await viaNginx('/upload', {
        client: 'alice',
        method: 'POST',
        headers: { 'content-type': 'multipart/form-data; boundary=b', accept: 'text/html' },
        body: '--b\r\nContent-Disposition: form-data; name="file"; filename="x.txt"\r\n\r\nx\r\n--b--\r\n',
      });
      expect(answer.status, `${answer.text}\n${nginx.errorLog()}`).toBe(403);
      expect(answer.text).toContain('Uploads to Contoso Files are switched off.');
      expect(app.uploads().length).toBe(before);
      // Reading is untouched.
      const read = await viaNginx('/whoami?format=json', { client: 'alice', headers: { accept: 'application/json' } });
      expect(read.status).toBe(200);
    });

    it('blocks without a certificate, with certgate’s block page for browsers and JSON otherwise', async () => {
      const before = app.uploads().length;
      const page = await viaNginx('/files/q3.xlsx?download=1', { headers: { accept: 'text/html' } });
      expect(page.status).toBe(403);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('did not present a certificate');
      const json = await viaNginx('/files/q3.xlsx?download=1', { headers: { accept: 'application/json' } });
      expect(json.status).toBe(403);
      expect(JSON.parse(json.text)).toMatchObject({ decision: 'block', reasons: ['client-certificate-required'] });
      expect(app.uploads().length).toBe(before);
    });

    it('blocks revoked, untrusted and wrong-EKU certificates, each with its reason', async () => {
      const cases = [
        { client: 'revoked', reason: 'certificate-revoked' },
        { client: 'untrusted', reason: 'certificate-untrusted' },
        { client: 'no-client-auth', reason: 'certificate-eku-missing' },
      ];
      for (const { client, reason } of cases) {
        const answer = await viaNginx('/', { client, headers: { accept: 'application/json' } });
        expect({ client, status: answer.status }).toEqual({ client, status: 403 });
        expect((JSON.parse(answer.text) as { reasons: string[] }).reasons, client).toContain(reason);
      }
    });

    it('nginx itself refuses a certificate outside its validity period (400, certgate is not asked)', async () => {
      // optional_no_ca forgives only a missing issuer: any other verify error is nginx's own 400
      // "The SSL certificate error" page (documented in docs/gateways.md).
      for (const client of ['expired', 'not-yet-valid']) {
        const answer = await viaNginx('/', { client, headers: { accept: 'application/json' } });
        expect({ client, status: answer.status }).toEqual({ client, status: 400 });
        expect(answer.text, client).toContain('The SSL certificate error');
      }
    });

    it('replaces a client-sent certificate header and original-request headers with its own', async () => {
      const alice = stack.pki.users.alice!;
      const forged = await viaNginx('/', {
        headers: {
          accept: 'application/json',
          'x-ssl-client-cert': encodeURIComponent(alice.certPem),
          'x-ssl-client-verify': 'SUCCESS',
          'x-original-uri': '/admin/users',
          [stack.config.gateway.secretHeader]: 'guessed',
        },
      });
      expect(forged.status).toBe(403);
      expect(JSON.parse(forged.text)).toMatchObject({ reasons: ['client-certificate-required'] });
      const slipped = await viaNginx('/whoami?format=json', {
        client: 'alice',
        headers: {
          accept: 'application/json',
          'x-original-url': '/admin/users',
          'x-forwarded-host': 'elsewhere.example',
        },
      });
      expect(slipped.status).toBe(200);
      expect(JSON.parse(slipped.text)).toMatchObject({ assertion: { claims: { aud: 'files' } } });
    });

    it('the app refuses a request that did not come through certgate', async () => {
      const direct = await fetch(`${app.url}/whoami?format=json`, {
        headers: { 'x-certgate-user': 'alice@contoso.example' },
      });
      expect(direct.status).toBe(401);
    });
  });
}
