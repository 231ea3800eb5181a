// Contoso Files, the sample app behind the gate: its pages, downloads (types, lengths,
// attachment), uploads (multipart, cap), and that with certgate's URL set it serves only requests
// whose X-Certgate-Assertion verifies against the published JWKS (a real http JWKS server here).
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenOn } from '../../dev/listen.js';
import { csvRow, patternByte, startContosoFiles, type ContosoFiles } from '../../dev/sampleApp/index.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('Contoso Files without certgate (direct)', () => {
  let app: ContosoFiles;
  beforeAll(async () => {
    app = await startContosoFiles({ sizes: { csvBytes: 300_000 }, uploadLimitBytes: 64 * 1024 });
  });
  afterAll(() => app.close());

  it('lists the files with a download link each', async () => {
    const response = await fetch(`${app.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    for (const name of ['q3.xlsx', 'handbook.pdf', 'dataset.csv']) {
      expect(page).toContain(`href="/files/${name}?download=1"`);
    }
  });

  it("a file's page is HTML, not the file", async () => {
    const response = await fetch(`${app.url}/files/q3.xlsx`);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-disposition')).toBeNull();
  });

  it.each([
    { label: 'spreadsheet by ?download=1', path: '/files/q3.xlsx?download=1', type: /spreadsheetml/, size: 40 * 1024 },
    { label: 'spreadsheet by /download/', path: '/download/q3.xlsx', type: /spreadsheetml/, size: 40 * 1024 },
    { label: 'pdf', path: '/files/handbook.pdf?download=1', type: /^application\/pdf$/, size: 1024 * 1024 },
  ])('downloads a file as an attachment: $label', async ({ path, type, size }) => {
    const response = await fetch(`${app.url}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(type);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="/);
    expect(Number(response.headers.get('content-length'))).toBe(size);
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body.length).toBe(size);
    expect(body[size - 1]).toBe(patternByte(size - 1));
  });

  it('streams the CSV with its exact length, header and numbered rows', async () => {
    const response = await fetch(`${app.url}/download/dataset.csv`);
    const text = await response.text();
    expect(text.length).toBe(Number(response.headers.get('content-length')));
    expect(text.length).toBeLessThanOrEqual(300_000);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('row,region,product,units,revenue');
    expect(`${lines.at(-1)}\n`).toBe(csvRow(lines.length - 2));
  });

  it('HEAD gives the headers without a body', async () => {
    const response = await fetch(`${app.url}/download/handbook.pdf`, { method: 'HEAD' });
    expect(response.headers.get('content-length')).toBe(String(1024 * 1024));
    expect((await response.arrayBuffer()).byteLength).toBe(0);
  });

  it('unknown files are 404', async () => {
    expect((await fetch(`${app.url}/files/secret.txt?download=1`)).status).toBe(404);
  });

  it('stores a multipart upload and names the uploader the gate sent', async () => {
    const bytes = new Uint8Array(10_000).map((_, i) => i % 251);
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), 'notes.bin');
    const response = await fetch(`${app.url}/upload?format=json`, {
      method: 'POST',
      body: form,
      headers: { 'x-certgate-user': 'adele@contoso.example' },
    });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ stored: [{ name: 'notes.bin', size: 10_000, sha256: sha256(bytes) }] });
    expect(app.uploads().at(-1)).toMatchObject({ name: 'notes.bin', uploadedBy: 'adele@contoso.example' });
    expect(await (await fetch(`${app.url}/`)).text()).toContain('notes.bin');
  });

  it('refuses an upload over the cap with 413, declared or chunked', async () => {
    const big = new Uint8Array(65 * 1024);
    const form = new FormData();
    form.append('file', new Blob([big]), 'big.bin');
    const declared = await fetch(`${app.url}/upload?format=json`, { method: 'POST', body: form });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: { code: 'upload-too-large' } });

    const encoded = new Response(form);
    const chunked = await fetch(`${app.url}/upload?format=json`, {
      method: 'POST',
      body: encoded.body,
      headers: { 'content-type': encoded.headers.get('content-type') ?? '' },
      duplex: 'half',
    });
    expect(chunked.status).toBe(413);
    expect(app.uploads().some((u) => u.name === 'big.bin')).toBe(false);
  });

  it('refuses a non-multipart upload and a form without a file', async () => {
    expect((await fetch(`${app.url}/upload`, { method: 'POST', body: 'x' })).status).toBe(415);
    const form = new FormData();
    form.append('comment', 'no file');
    expect((await fetch(`${app.url}/upload`, { method: 'POST', body: form })).status).toBe(400);
  });

  it('/whoami shows the identity headers it received; without certgate the assertion is not checked', async () => {
    const response = await fetch(`${app.url}/whoami?format=json`, {
      headers: { 'x-certgate-user': 'adele@contoso.example', 'x-certgate-device-tags': 'compliant' },
    });
    expect(await response.json()).toEqual({
      headers: { 'x-certgate-user': 'adele@contoso.example', 'x-certgate-device-tags': 'compliant' },
      assertion: null,
    });
  });
});

describe('Contoso Files accepting only certgate (assertion verified against the JWKS)', () => {
  let app: ContosoFiles;
  let jwks: Server;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  let jwksFetches = 0;

  const assertion = (key: CryptoKey, kid: string, claims: Record<string, unknown> = {}, ttlSeconds = 60) =>
    new SignJWT({ sub: 'adele@contoso.example', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer('certgate')
      .setAudience(typeof claims.aud === 'string' ? claims.aud : 'contoso-files')
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    const publicJwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwks = createServer((request, response) => {
      if (request.url === '/api/.well-known/jwks.json') {
        jwksFetches++;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ keys: [publicJwk] }));
      } else {
        response.writeHead(404).end();
      }
    });
    const authority = await listenOn(jwks, 0, '127.0.0.1');
    app = await startContosoFiles({
      certgate: { certgateUrl: `http://${authority}`, issuer: 'certgate', audience: 'contoso-files' },
      sizes: { csvBytes: 10_000 },
    });
  });
  afterAll(async () => {
    await app.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  it('serves a request whose assertion verifies, and shows the claims', async () => {
    const token = await assertion(privateKey, 'k1', { device_tags: ['compliant'] });
    const response = await fetch(`${app.url}/whoami?format=json`, {
      headers: { 'x-certgate-assertion': token, 'x-certgate-user': 'adele@contoso.example' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { assertion: { verified: boolean; keyId: string; claims: unknown } };
    expect(body.assertion).toMatchObject({ verified: true, keyId: 'k1', claims: { sub: 'adele@contoso.example' } });
    expect((await fetch(`${app.url}/`, { headers: { 'x-certgate-assertion': token } })).status).toBe(200);
    expect(jwksFetches).toBe(1);
  });

  it.each([
    {
      label: 'no assertion, only plain identity headers',
      make: () => Promise.resolve(undefined),
      code: 'assertion-missing',
    },
    {
      label: 'signed by another key',
      make: () => assertion(otherKey, 'k1'),
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    },
    {
      label: 'payload tampered',
      make: async () => {
        const [head, , signature] = (await assertion(privateKey, 'k1')).split('.');
        const forged = Buffer.from(
          JSON.stringify({ sub: 'mallory', iss: 'certgate', aud: 'contoso-files', iat: 1, exp: 9e9 }),
        );
        return `${head}.${forged.toString('base64url')}.${signature}`;
      },
      code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    },
    { label: 'expired', make: () => assertion(privateKey, 'k1', {}, -60), code: 'ERR_JWT_EXPIRED' },
    {
      label: 'for another app',
      make: () => assertion(privateKey, 'k1', { aud: 'payroll' }),
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
    },
  ])('refuses with 401: $label', async ({ make, code }) => {
    const token = await make();
    const headers: Record<string, string> = { 'x-certgate-user': 'adele@contoso.example', accept: 'application/json' };
    if (token !== undefined) headers['x-certgate-assertion'] = token;
    const response = await fetch(`${app.url}/download/q3.xlsx`, { headers });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code } });
  });

  it('a browser without an assertion gets the page saying so', async () => {
    const response = await fetch(`${app.url}/`);
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('only requests that come through certgate');
  });

  it('health stays open', async () => {
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  });
});
