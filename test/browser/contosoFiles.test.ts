/**
 * A real browser in front of the gate: headless Chromium (Debian's `chromium`, driven by
 * puppeteer-core) opens Contoso Files as https://files.contoso.example through the local TLS
 * gateway and certgate's gate, with the demo policies.
 *  - Without a client certificate: the file list opens; clicking a download shows certgate's block
 *    page with the session policy's message (403), and nothing is saved.
 *  - With the dev `device` certificate (Entra device dev-laptop-01: compliant, hybrid-joined) in the
 *    browser's NSS database (a temp HOME: `certutil -N`, `pk12util -i device.p12`) and the
 *    AutoSelectCertificateForUrls managed policy (so headless Chromium presents it without a
 *    picker): the same click saves the whole file.
 *
 * How the browser is set up, and why:
 *  - `--host-resolver-rules` maps files.contoso.example to 127.0.0.1 (no /etc/hosts edit).
 *  - `--ignore-certificate-errors`: the dev gateway's server certificate names localhost, 127.0.0.1
 *    and ::1, not the demo app hosts; the client-certificate exchange is unaffected by it.
 *  - The managed policy is a file in /etc/chromium/policies/managed, writable only by root (CI runs
 *    as root); it names only this test's origin and is removed afterwards. Not root: the
 *    certificate half is skipped, loudly, and test/e2e/gateTour.test.ts covers that path with a
 *    real TLS client certificate (the tour's curl commands).
 *  - The demo's pilot policy cannot tell an anonymous request from the pilot user's and fails
 *    closed, so the browser is signed in as alice (a bearer token from the dev issuer, sent as an
 *    extra header), as in the tour.
 *  - `--no-sandbox` when running as root (Chromium refuses its sandbox as root).
 * Missing Chromium or the NSS tools: the test says so loudly and skips; under CI=true it fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO_FILES_HOST } from '../../dev/demoPolicies.js';
import { signedIn } from '../../dev/gateTour.js';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';

const CHROMIUM = process.env.CERTGATE_CHROMIUM ?? '/usr/bin/chromium';
const POLICY_DIR = '/etc/chromium/policies/managed';
const inCi = process.env.CI === 'true';
const isRoot = process.getuid?.() === 0;

function onPath(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const missing = [
  ...(existsSync(CHROMIUM) ? [] : [`Chromium (${CHROMIUM}; Debian package chromium)`]),
  ...['certutil', 'pk12util'].filter((tool) => !onPath(tool)).map((tool) => `${tool} (Debian package libnss3-tools)`),
  ...(onPath('openssl') ? [] : ['openssl']),
];
if (missing.length > 0) {
  const line = `\n*** test/browser: MISSING ${missing.join(', ')}: the real-browser test of the gate is ${inCi ? 'FAILING (CI=true)' : 'SKIPPED'}; .ci/run installs them ***\n`;
  console.error(line);
}

if (missing.length === 0 && !isRoot) {
  console.error(
    `\n*** test/browser: not root, so ${POLICY_DIR} (AutoSelectCertificateForUrls) is not writable: the client-certificate half is SKIPPED (test/e2e/gateTour.test.ts covers it with a TLS client) ***\n`,
  );
}

describe('CI has what the browser test needs', () => {
  it.runIf(inCi)('chromium and the NSS tools are installed', () => {
    expect(missing).toEqual([]);
  });
});

describe.skipIf(missing.length > 0)('a real browser through the gateway and the gate', () => {
  let stack: Stack;
  let origin: string;
  let work: string;
  let policyFile: string | undefined;
  let aliceHeaders: Record<string, string>;
  const q3 = () => stack.contosoFiles.files.find((file) => file.name === 'q3.xlsx')!;

  /** A Chromium with its own HOME (NSS database in ~/.pki/nssdb) and profile. */
  async function launch(name: string): Promise<{ browser: Browser; page: Page; downloads: string }> {
    const home = join(work, name);
    const nssdb = join(home, '.pki', 'nssdb');
    mkdirSync(nssdb, { recursive: true });
    execFileSync('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
    if (name === 'with-certificate') {
      const device = stack.pki.users.device!;
      const p12 = join(work, 'device.p12');
      execFileSync('openssl', [
        'pkcs12',
        '-export',
        '-in',
        device.certPath,
        '-inkey',
        device.keyPath,
        '-certfile',
        stack.pki.intermediate.certPath,
        '-name',
        'certgate dev device',
        '-out',
        p12,
        '-passout',
        'pass:certgate',
      ]);
      execFileSync('pk12util', ['-i', p12, '-d', `sql:${nssdb}`, '-W', 'certgate']);
    }
    const downloads = join(home, 'Downloads');
    mkdirSync(downloads, { recursive: true });
    const gateway = new URL(stack.gatewayUrl);
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      userDataDir: join(home, 'profile'),
      env: { ...process.env, HOME: home },
      args: [
        `--host-resolver-rules=MAP ${CONTOSO_FILES_HOST} ${gateway.hostname}`,
        '--ignore-certificate-errors',
        ...(isRoot ? ['--no-sandbox'] : []),
      ],
    });
    const page = await browser.newPage();
    await page.setExtraHTTPHeaders(aliceHeaders);
    const session = await page.createCDPSession();
    await session.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });
    return { browser, page, downloads };
  }

  beforeAll(async () => {
    stack = await startEphemeralStack('browser', {}, { demoPolicies: true });
    origin = `https://${CONTOSO_FILES_HOST}:${new URL(stack.gatewayUrl).port}`;
    work = mkdtempSync(join(tmpdir(), 'certgate-browser-'));
    aliceHeaders = await signedIn(stack, 'alice@contoso.example');
    if (isRoot) {
      mkdirSync(POLICY_DIR, { recursive: true });
      policyFile = join(POLICY_DIR, `certgate-browser-test-${process.pid}.json`);
      const rule = JSON.stringify({ pattern: origin, filter: {} });
      writeFileSync(policyFile, JSON.stringify({ AutoSelectCertificateForUrls: [rule] }));
    }
  }, 120_000);
  afterAll(async () => {
    if (policyFile) rmSync(policyFile, { force: true });
    if (work) rmSync(work, { recursive: true, force: true });
    await stack.close();
  });

  it('without a certificate: the list opens, a download click shows the block page and saves nothing', async () => {
    const { browser, page, downloads } = await launch('without-certificate');
    try {
      const list = await page.goto(`${origin}/`);
      expect(list?.status()).toBe(200);
      expect(await page.$$eval('#files tbody tr', (rows) => rows.length)).toBe(3);
      const [blocked] = await Promise.all([page.waitForNavigation(), page.click('a[id="download-q3.xlsx"]')]);
      expect(blocked?.status()).toBe(403);
      expect(await page.content()).toContain('Downloads need a Contoso-managed device');
      await sleep(500);
      expect(readdirSync(downloads)).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);

  it.skipIf(!isRoot)(
    'with the device certificate (NSS database + AutoSelectCertificateForUrls): the gate sees a managed device and the download is saved whole',
    async () => {
      const { browser, page, downloads } = await launch('with-certificate');
      try {
        const whoami = await page.goto(`${origin}/whoami?format=json`);
        const seen = JSON.parse((await whoami?.text()) ?? 'null') as {
          headers: Record<string, string>;
          assertion: { verified: boolean };
        };
        expect(seen.assertion.verified).toBe(true);
        expect(seen.headers['x-certgate-device-tags']).toMatch(/compliant/);

        await page.goto(`${origin}/`);
        await page.click('a[id="download-q3.xlsx"]');
        const saved = join(downloads, 'q3.xlsx');
        for (let i = 0; i < 100 && !(existsSync(saved) && statSync(saved).size === q3().size); i++) await sleep(100);
        expect(existsSync(saved) ? statSync(saved).size : 'not saved').toBe(q3().size);
      } finally {
        await browser.close();
      }
    },
    60_000,
  );
});
