/**
 * Adding a CA, end to end with real parts (Azurite, the app's functions on the local host, CRL
 * distribution points over HTTP on loopback): an ldap:// CRL URL is refused with the HTTP hint, a
 * private key in an upload is refused without being echoed or logged and nothing is stored, and a
 * CA's CRLs are loaded when it is added, so the very first request with a certificate from it is
 * decided by the CRL (valid → 200, revoked → 403 certificate-revoked), never
 * `certificate-revocation-unknown` because nothing was fetched yet.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueCertificate, issueCrl, type IssuedCertificate } from '../../dev/pki/index.js';
import { startStack, type Stack } from '../../dev/stack.js';

const DAY = 86_400_000;
const FUNCTION_KEY = 'onboard-function-key';
const LDAP_CDP =
  'ldap:///CN=Onboarding%20Root,CN=ca01,CN=CDP,CN=Public%20Key%20Services,CN=Services,CN=Configuration,DC=contoso,DC=example?certificateRevocationList?base?objectClass=cRLDistributionPoint';

let stack: Stack;
let pkiDir: string;
const logLines: string[] = [];
/** Serves `/<name>.crl` from `crls`; `/silent.crl` accepts and never answers. */
let cdp: Server;
let cdpUrl: string;
const crls = new Map<string, Uint8Array>();

/** A CA with an issuing CA under it, and a valid and a revoked client certificate from the issuing CA. */
interface TestPki {
  readonly root: IssuedCertificate;
  readonly issuing: IssuedCertificate;
  readonly valid: IssuedCertificate;
  readonly revoked: IssuedCertificate;
}
let withConfiguredCrl: TestPki;
/** A root that issues client certificates itself, naming ldap:// then http:// distribution points (AD CS style). */
let adcs: { root: IssuedCertificate; valid: IssuedCertificate; revoked: IssuedCertificate };
let silentCa: IssuedCertificate;

const now = new Date();
const notBefore = new Date(now.getTime() - DAY);
const notAfter = new Date(now.getTime() + 365 * DAY);

async function clientCertificate(
  name: string,
  issuer: IssuedCertificate,
  cdpUrls: string[],
): Promise<IssuedCertificate> {
  return issueCertificate({
    subject: `CN=${name}, O=Onboarding`,
    issuer: issuer.credentials,
    keyAlgorithm: 'ecdsa-p256',
    notBefore,
    notAfter,
    extKeyUsage: ['clientAuth'],
    san: { email: [`${name}@contoso.example`] },
    extraExtensions: [new x509.CRLDistributionPointsExtension(cdpUrls, false)],
  });
}

async function publishCrl(name: string, issuer: IssuedCertificate, revoked: IssuedCertificate[]): Promise<void> {
  const crl = await issueCrl({
    issuer: issuer.credentials,
    revoked: revoked.map((cert) => ({ serial: cert.cert.parsed.serialNumber, date: notBefore })),
    thisUpdate: notBefore,
    nextUpdate: new Date(now.getTime() + 7 * DAY),
    crlNumber: 7,
  });
  crls.set(name, crl.der);
}

const headers = (extra: Record<string, string> = {}) => ({
  'x-functions-key': FUNCTION_KEY,
  authorization: `Bearer ${stack.tokens.adminToken}`,
  ...extra,
});

async function manage(
  method: string,
  path: string,
  body: string | Uint8Array,
  contentType: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
  const res = await fetch(`${stack.hostUrl}/api/manage/${path}`, {
    method,
    headers: headers({ 'content-type': contentType, ...extra }),
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, text };
}

const postJson = (path: string, value: unknown) => manage('POST', path, JSON.stringify(value), 'application/json');

async function authorize(
  cert: IssuedCertificate,
): Promise<{ status: number; body: { decision: string; reasons: string[] } }> {
  const res = await fetch(`${stack.hostUrl}/api/authorize`, {
    headers: {
      'x-client-certificate': encodeURIComponent(cert.cert.pem),
      [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
    },
  });
  return { status: res.status, body: (await res.json()) as { decision: string; reasons: string[] } };
}

async function storedThumbprints(): Promise<string[]> {
  const res = await fetch(`${stack.hostUrl}/api/manage/cas`, { headers: headers() });
  return ((await res.json()) as { cas: { thumbprint: string }[] }).cas.map((ca) => ca.thumbprint);
}

beforeAll(async () => {
  cdp = createServer((req, res) => {
    const name = /^\/([\w-]+)\.crl$/.exec(req.url ?? '')?.[1];
    if (name === 'silent') return;
    const body = name ? crls.get(name) : undefined;
    if (!body) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader('content-type', 'application/pkix-crl');
    res.end(body);
  });
  await new Promise<void>((resolve) => cdp.listen(0, '127.0.0.1', resolve));
  cdpUrl = `http://127.0.0.1:${(cdp.address() as AddressInfo).port}`;

  const root = await issueCertificate({
    subject: 'CN=Onboarding Root, O=Onboarding',
    keyAlgorithm: 'ecdsa-p256',
    notBefore,
    notAfter,
    ca: { pathLength: 1 },
  });
  const issuing = await issueCertificate({
    subject: 'CN=Onboarding Issuing CA, O=Onboarding',
    issuer: root.credentials,
    keyAlgorithm: 'ecdsa-p256',
    notBefore,
    notAfter,
    ca: { pathLength: 0 },
  });
  withConfiguredCrl = {
    root,
    issuing,
    valid: await clientCertificate('onboard-valid', issuing, [`${cdpUrl}/issuing.crl`]),
    revoked: await clientCertificate('onboard-revoked', issuing, [`${cdpUrl}/issuing.crl`]),
  };
  await publishCrl('issuing', issuing, [withConfiguredCrl.revoked]);

  const adcsRoot = await issueCertificate({
    subject: 'CN=Onboarding ADCS Root, O=Onboarding',
    keyAlgorithm: 'ecdsa-p256',
    notBefore,
    notAfter,
    ca: { pathLength: 0 },
  });
  adcs = {
    root: adcsRoot,
    valid: await clientCertificate('adcs-valid', adcsRoot, [LDAP_CDP, `${cdpUrl}/adcs.crl`]),
    revoked: await clientCertificate('adcs-revoked', adcsRoot, [LDAP_CDP, `${cdpUrl}/adcs.crl`]),
  };
  await publishCrl('adcs', adcsRoot, [adcs.revoked]);
  silentCa = await issueCertificate({
    subject: 'CN=Onboarding Silent CDP CA, O=Onboarding',
    keyAlgorithm: 'ecdsa-p256',
    notBefore,
    notAfter,
    ca: {},
  });

  pkiDir = mkdtempSync(join(tmpdir(), 'certgate-onboard-'));
  stack = await startStack({
    root: fileURLToPath(new URL('../..', import.meta.url)),
    pkiDir,
    ports: { host: 0, gateway: 0, pki: 0, azurite: { blob: 0, queue: 0, table: 0 } },
    functionKey: FUNCTION_KEY,
    masterKey: 'onboard-master-key',
    settings: {
      CERTGATE_TABLE_PREFIX: 'onboard',
      CERTGATE_GATEWAY_SECRETS: 'onboard-gateway-secret-0123456789',
      CERTGATE_CONFIG_REFRESH_SECONDS: '0',
    },
    log: (line) => logLines.push(line),
  });
}, 120_000);

afterAll(async () => {
  await stack.close();
  rmSync(pkiDir, { recursive: true, force: true });
  cdp.closeAllConnections();
  cdp.close();
});

describe('CRL URLs certgate cannot fetch', () => {
  it.each([
    { label: 'ldap:// (AD CS lists it first)', url: LDAP_CDP },
    { label: 'file://', url: 'file:///C:/Windows/System32/CertSrv/CertEnroll/ca.crl' },
    { label: 'ftp://', url: 'ftp://pki.contoso.example/ca.crl' },
  ])(
    'adding a CA with an $label CRL URL → 400 crl-url-unsupported with the HTTP hint; nothing stored',
    async ({ url }) => {
      const before = await storedThumbprints();
      const res = await postJson('cas', { pem: silentCa.cert.pem, crlUrls: [`${cdpUrl}/fine.crl`, url] });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        code: 'crl-url-unsupported',
        message: expect.stringMatching(/HTTP\(S\).*AD CS.*HTTP distribution point/),
        detail: expect.stringContaining(url),
      });
      expect(await storedThumbprints()).toEqual(before);
    },
  );

  it('changing a CA to an ldap:// CRL URL → 400 crl-url-unsupported; the CA is unchanged', async () => {
    const thumbprint = (await storedThumbprints())[0]!;
    const current = await fetch(`${stack.hostUrl}/api/manage/cas/${thumbprint}`, { headers: headers() });
    const etag = current.headers.get('etag')!;
    const before = (await current.json()) as { crlUrls: string[] };
    const res = await manage(
      'PATCH',
      `cas/${thumbprint}`,
      JSON.stringify({ crlUrls: [LDAP_CDP] }),
      'application/json',
      { 'if-match': etag },
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'crl-url-unsupported', detail: expect.stringContaining('ldap:') });
    const after = (await (
      await fetch(`${stack.hostUrl}/api/manage/cas/${thumbprint}`, { headers: headers() })
    ).json()) as { crlUrls: string[] };
    expect(after.crlUrls).toEqual(before.crlUrls);
  });

  it('a URL that is not a URL at all is still request-body-invalid', async () => {
    const res = await postJson('cas', { pem: silentCa.cert.pem, crlUrls: ['not a url'] });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'request-body-invalid' });
  });
});

describe('a private key in a CA upload', () => {
  const pfx = (): Uint8Array => {
    const dir = mkdtempSync(join(tmpdir(), 'certgate-onboard-pfx-'));
    try {
      writeFileSync(join(dir, 'ca.crt'), withConfiguredCrl.root.cert.pem);
      writeFileSync(join(dir, 'ca.key'), withConfiguredCrl.root.key);
      execFileSync(
        'openssl',
        [
          'pkcs12',
          '-export',
          '-in',
          join(dir, 'ca.crt'),
          '-inkey',
          join(dir, 'ca.key'),
          '-out',
          join(dir, 'ca.pfx'),
          '-passout',
          'pass:secret',
        ],
        { stdio: 'pipe' },
      );
      return new Uint8Array(readFileSync(join(dir, 'ca.pfx')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('is refused with ca-upload-contains-private-key in every form; nothing is stored; the key appears in no answer and no log line', async () => {
    const key = withConfiguredCrl.root.key;
    const keyLines = key.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'));
    const pfxBytes = pfx();
    const uploads: { label: string; body: string | Uint8Array; contentType: string }[] = [
      {
        label: 'PEM: the certificate and its key',
        body: `${withConfiguredCrl.root.cert.pem}${key}`,
        contentType: 'application/x-pem-file',
      },
      { label: 'PEM: only the key', body: key, contentType: 'text/plain' },
      {
        label: 'JSON pem with the key',
        body: JSON.stringify({ pem: `${withConfiguredCrl.root.cert.pem}${key}`, label: 'oops' }),
        contentType: 'application/json',
      },
      {
        label: 'JSON with the key in an unknown field',
        body: JSON.stringify({ pem: withConfiguredCrl.root.cert.pem, key }),
        contentType: 'application/json',
      },
      {
        label: 'JSON der: a PFX as base64',
        body: JSON.stringify({ der: Buffer.from(pfxBytes).toString('base64') }),
        contentType: 'application/json',
      },
      { label: 'DER: a PFX file', body: pfxBytes, contentType: 'application/x-pkcs12' },
    ];
    const written: string[] = [];
    const originals = {
      out: process.stdout.write.bind(process.stdout),
      err: process.stderr.write.bind(process.stderr),
    };
    const capture = (chunk: unknown) => {
      written.push(String(chunk));
      return true;
    };
    process.stdout.write = capture;
    process.stderr.write = capture;
    const logStart = logLines.length;
    const answers: string[] = [];
    try {
      for (const upload of uploads) {
        const res = await manage('POST', 'cas', upload.body, upload.contentType);
        answers.push(res.text);
        expect(res.status, upload.label).toBe(400);
        expect(res.body.error, upload.label).toMatchObject({
          code: 'ca-upload-contains-private-key',
          message: expect.stringMatching(/Upload only the CA certificate/),
          detail: expect.stringMatching(/upload only the CA certificate/),
        });
      }
    } finally {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    }
    const said = [...answers, ...written, ...logLines.slice(logStart)].join('\n');
    for (const line of keyLines) expect(said).not.toContain(line);
    expect(said).not.toContain(Buffer.from(pfxBytes).toString('base64').slice(0, 64));
    expect(await storedThumbprints()).not.toContain(sha256Hex(withConfiguredCrl.root.cert.der));
  });
});

/** SHA-256 of the DER: the thumbprint the API lists a CA by. */
function sha256Hex(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

describe('adding a CA loads its CRLs', () => {
  it('the answer says per CA whether each CRL loaded; the first requests are decided by the CRL', async () => {
    const root = await postJson('cas', { pem: withConfiguredCrl.root.cert.pem, label: 'Onboarding Root' });
    expect(root.status).toBe(201);
    expect(root.body.cas).toEqual([
      expect.objectContaining({
        revocation: expect.objectContaining({
          mode: 'preferred',
          crls: [],
          note: expect.stringMatching(/fetched on first use/),
        }),
      }),
    ]);
    const crlUrl = `${cdpUrl}/issuing.crl`;
    const issuing = await postJson('cas', {
      pem: withConfiguredCrl.issuing.cert.pem,
      label: 'Onboarding Issuing CA',
      revocation: { mode: 'required', unknown: 'block' },
      crlUrls: [crlUrl],
    });
    expect(issuing.status).toBe(201);
    expect(issuing.body.cas).toEqual([
      expect.objectContaining({
        revocation: {
          mode: 'required',
          unknown: 'block',
          crls: [
            {
              url: crlUrl,
              loaded: true,
              crlNumber: '07',
              thisUpdate: expect.any(String),
              nextUpdate: expect.any(String),
              entries: 1,
            },
          ],
        },
      }),
    ]);
    // Immediately, with no refresh in between.
    expect(await authorize(withConfiguredCrl.valid)).toMatchObject({ status: 200, body: { decision: 'allow' } });
    expect(await authorize(withConfiguredCrl.revoked)).toMatchObject({
      status: 403,
      body: { reasons: ['client-certificate-invalid', 'certificate-revoked'] },
    });
  });

  it('a distribution point that never answers does not hang the upload: the CA is added and the answer says the CRL did not load', async () => {
    const began = performance.now();
    const res = await postJson('cas', { pem: silentCa.cert.pem, crlUrls: [`${cdpUrl}/silent.crl`] });
    expect(performance.now() - began).toBeLessThan(9_000);
    expect(res.status).toBe(201);
    expect(res.body.cas).toEqual([
      expect.objectContaining({
        revocation: expect.objectContaining({
          crls: [
            {
              url: `${cdpUrl}/silent.crl`,
              loaded: false,
              error: expect.stringMatching(/^crl-fetch-timeout: .*background refresh retries/),
            },
          ],
          note: expect.stringMatching(/background refresh retries/),
        }),
      }),
    ]);
    expect(await storedThumbprints()).toContain(sha256Hex(silentCa.cert.der));
  }, 20_000);

  it('a CA with no CRL URL configured: the http:// distribution point its certificates name (after an ldap:// one) is fetched on the first request', async () => {
    const added = await postJson('cas', {
      pem: adcs.root.cert.pem,
      revocation: { mode: 'required', unknown: 'block' },
    });
    expect(added.status).toBe(201);
    // The silent distribution point of the CA added before is still being fetched: this request
    // waits only for the CRLs that bear on its own path, well inside the 3 s first-use deadline.
    const began = performance.now();
    expect(await authorize(adcs.revoked)).toMatchObject({
      status: 403,
      body: { reasons: ['client-certificate-invalid', 'certificate-revoked'] },
    });
    expect(performance.now() - began).toBeLessThan(2_500);
    expect(await authorize(adcs.valid)).toMatchObject({ status: 200, body: { decision: 'allow' } });
    const status = (await (await fetch(`${stack.hostUrl}/api/manage/revocation`, { headers: headers() })).json()) as {
      sources: { url: string; skipped?: string; crlNumber?: string }[];
    };
    expect(status.sources).toEqual(
      expect.arrayContaining([
        { url: LDAP_CDP, skipped: expect.stringMatching(/^ldap: distribution points are not fetched/) },
        expect.objectContaining({ url: `${cdpUrl}/adcs.crl`, crlNumber: '07' }),
      ]),
    );
  });
});
