/**
 * Finding 3 end to end: a client IP in X-Forwarded-For counts only with the whole gateway proof.
 * The stack trusts the local host as proxy AND requires the gateway secret; a caller that reaches
 * the functions directly from inside the proxy range with `X-Forwarded-For: <office address>` and
 * no secret must not be placed in the office network.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';

let stack: Stack;
const secret = 'forwarded-facts-gateway-secret-0123456789';
const key = () => ({ 'x-functions-key': stack.functionKey, authorization: `Bearer ${stack.tokens.adminToken}` });

beforeAll(async () => {
  stack = await startEphemeralStack('forwardedfacts', {
    CERTGATE_GATEWAY_SECRETS: secret,
    CERTGATE_TRUSTED_PROXIES: '127.0.0.1/32',
    CERTGATE_CONFIG_REFRESH_SECONDS: '0',
  });
}, 120_000);
afterAll(async () => {
  await stack.close();
});

async function manage(method: string, path: string, body: unknown) {
  const res = await fetch(`${stack.hostUrl}/api/manage/${path}`, {
    method,
    headers: { ...key(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.status;
}

/** GET /api/authorize over node:http (fetch will not send a Host header other than the URL's). */
function authorize(
  headers: Record<string, string>,
): Promise<{ status: number; body: { decision: string; reasons: string[] } }> {
  return new Promise((resolve, reject) => {
    // Host names the app directly: without proof X-Forwarded-Host is dropped too, and the app must still resolve.
    const request = http.get(
      `${stack.hostUrl}/api/authorize`,
      { headers: { accept: 'application/json', host: 'portal.contoso.example', ...headers } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
        });
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as { decision: string; reasons: string[] },
          });
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
  });
}

describe('forwarded client IP needs the gateway proof', () => {
  it('the office address in X-Forwarded-For is ignored without the secret, and honoured with it', async () => {
    expect(
      await manage('PUT', 'locations/corporate', {
        name: 'Corporate network',
        ranges: ['10.20.0.0/16'],
        tags: ['corporate'],
      }),
    ).toBe(201);
    expect(await manage('PUT', 'apps/portal', { name: 'Portal', hosts: [{ host: 'portal.contoso.example' }] })).toBe(
      201,
    );
    expect(await manage('PUT', 'settings', { baseline: 'allow', failMode: 'closed' })).toBe(200);
    expect(
      await manage('PUT', 'policies/require-cert-outside', {
        name: 'Require a certificate outside the corporate network',
        state: 'enabled',
        priority: 10,
        conditions: {
          locations: { include: ['any'], exclude: ['tag:corporate'] },
          deviceTags: { notEquals: ['valid-client-certificate'] },
        },
        action: 'block',
      }),
    ).toBe(201);

    // The reported bypass: straight to the functions, peer inside the proxy range, no secret.
    const spoofed = await authorize({ 'x-forwarded-for': '10.20.1.1' });
    expect(spoofed.status).toBe(403);
    expect(spoofed.body.decision).toBe('block');

    // Through the gateway (secret and proxy range together) the same header places the client.
    const proven = await authorize({ 'x-forwarded-for': '10.20.1.1', 'x-certgate-gateway-secret': secret });
    expect(proven.status).toBe(200);
    expect(proven.body.decision).toBe('allow');
  });
});
