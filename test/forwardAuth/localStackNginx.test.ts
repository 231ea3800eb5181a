/**
 * The local stack's nginx path (`npm start` starts it when nginx is installed): nginx with
 * auth_request to certgate in front of the same Contoso Files the gate protects, registered as
 * `contoso-files` by the demo configuration. What the README shows: a request through nginx reaches
 * the app with an assertion the app verifies (audience contoso-files), and a forged one does not.
 * Without nginx it says so loudly and is skipped; under CI=true it fails instead.
 */
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nginxAvailability } from '../../dev/nginx/forwardAuthNginx.js';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';

const availability = nginxAvailability();

async function viaNginx(stack: Stack, path: string, client?: string): Promise<{ status: number; text: string }> {
  const url = new URL(path, stack.nginxUrl);
  const user = client ? stack.pki.users[client] : undefined;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        ca: stack.pki.root.certPem,
        headers: { host: 'files.contoso.example', accept: 'application/json', 'x-certgate-user': 'mallory' },
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
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

if (!availability.available) {
  const message = `\n\n*** local stack nginx path NOT TESTED: ${availability.reason} ***\n`;
  console.warn(message);
  describe('the local stack with nginx', () => {
    if (process.env.CI === 'true')
      it('needs nginx under CI', () => {
        expect.fail(message);
      });
    else it.skip(`skipped: ${availability.reason}`, () => undefined);
  });
} else {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startEphemeralStack('stacknginx', {}, { demoPolicies: true, nginx: true });
  }, 120_000);

  afterAll(async () => {
    await (stack as Stack | undefined)?.close();
  });

  describe('the local stack with nginx', () => {
    it('puts nginx with auth_request in front of Contoso Files, and the app verifies certgate’s assertion', async () => {
      expect(stack.nginxUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await viaNginx(stack, '/whoami?format=json', 'device');
      expect(answer.status, answer.text).toBe(200);
      const seen = JSON.parse(answer.text) as {
        headers: Record<string, string | undefined>;
        assertion: { verified: boolean; claims: { aud: string } };
      };
      expect(seen.assertion).toMatchObject({ verified: true, claims: { aud: 'contoso-files' } });
      expect(seen.headers['x-certgate-user']).not.toBe('mallory');
      expect(seen.headers['x-certgate-device-tags']).toContain('valid-client-certificate');
    });
  });
}
