/**
 * `certgate verify`, run in-process through `main(argv, io)` with recorders for stdout/stderr,
 * against the dev PKI written to a temp dir for a fixed `now` (plus a SHA-1 leaf issued here).
 * Verdicts are asserted on the reason code of the `--json` output and the exit code; the human
 * report is checked against the same result; usage errors are asserted on exit code 2 and on the
 * option or file the message names. One case runs the real entry file through tsx in a child
 * process to check the bin wiring (arguments, exit code).
 */
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as x509 from '@peculiar/x509';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDevPki, generateKeyPair, issuerCredentialsOf, type DevPki } from '../../dev/pki/index.js';
import type { ValidationResult } from '../../shared/cert/validation/index.js';
import { main } from '../../shared/cli/certgateCommand.js';
import type { CommandIo } from '../../shared/cli/commandIo.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const NOW = new Date('2026-01-15T00:00:00Z');
const DAY = 86_400_000;
/** The `--time` of every verdict case: half a day after the PKI was generated (inside the CRLs' window). */
const TIME = '2026-01-15T12:00:00Z';

let base: string;
let pki: DevPki;
/** Extra files written for the cases: DER copies, bundles, a PEM CRL, a SHA-1 leaf. */
const files: Record<string, string> = {};

async function writeSha1Leaf(dir: string): Promise<string> {
  const issuer = await issuerCredentialsOf(pki.intermediate);
  const keys = await generateKeyPair('ecdsa-p256');
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: '0a1b2c3d4e5f',
    subject: 'CN=sha1, O=Contoso Dev',
    issuer: issuer.cert.subject,
    notBefore: new Date(NOW.getTime() - DAY),
    notAfter: new Date(NOW.getTime() + 30 * DAY),
    publicKey: keys.publicKey,
    signingKey: issuer.key,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-1' },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.2'], false),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(issuer.cert.publicKey),
    ],
  });
  const path = join(dir, 'sha1.crt');
  await writeFile(path, certificate.toString('pem'));
  return path;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'certgate-cli-'));
  pki = await ensureDevPki({ dir: join(base, 'pki'), crlBaseUrl: 'http://127.0.0.1:9', now: NOW });
  const write = async (name: string, content: string | Uint8Array): Promise<void> => {
    files[name] = join(base, name);
    await writeFile(files[name], content);
  };
  await write('alice.der', pki.users.alice!.certDer);
  await write('root.der', pki.root.certDer);
  await write('intermediate.der', pki.intermediate.certDer);
  await write('alice-fullchain.pem', `${pki.users.alice!.certPem}${pki.intermediate.certPem}`);
  // RFC 7468 label (openssl's); @peculiar/x509's own toString('pem') writes the non-standard `BEGIN CRL`.
  await write(
    'ca-intermediate-crl.pem',
    `${x509.PemConverter.encode(pki.crls.intermediate.der.slice().buffer, 'X509 CRL')}\n`,
  );
  await write('empty.crt', '');
  files.sha1 = await writeSha1Leaf(base);
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

interface Run {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(argv: readonly string[], now?: Date): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CommandIo = {
    stdout: { write: (text: string) => stdout.push(text) },
    stderr: { write: (text: string) => stderr.push(text) },
    ...(now === undefined ? {} : { now: () => now }),
  };
  const exitCode = await main(argv, io);
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
}

const user = (name: string): string => pki.users[name]!.certPath;
/** The usual arguments: leaf, the intermediate as an untrusted chain, the root as the only trusted CA, fixed time. */
const through = (leaf: string, ...more: string[]): string[] => [
  'verify',
  '--leaf',
  leaf,
  '--chain',
  pki.intermediate.certPath,
  '--trust',
  pki.root.certPath,
  '--time',
  TIME,
  ...more,
];
const withCrls = (): string[] => ['--crl', pki.crls.intermediate.path, '--crl', pki.crls.root.path];

interface VerdictCase {
  readonly label: string;
  readonly args: () => string[];
  readonly expected: { readonly exitCode: 0 | 1; readonly reason: string };
}

const verdictCases: VerdictCase[] = [
  {
    label: 'alice through the intermediate to the root',
    args: () => through(user('alice')),
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: 'alice against the CA bundle (both CAs trusted)',
    args: () => ['verify', '--leaf', user('alice'), '--trust', pki.bundle.path, '--time', TIME],
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: 'alice with every file DER',
    args: () => [
      'verify',
      '--leaf',
      files['alice.der']!,
      '--chain',
      files['intermediate.der']!,
      '--trust',
      files['root.der']!,
      '--time',
      TIME,
    ],
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: 'a fullchain PEM as the leaf supplies its intermediate',
    args: () => ['verify', '--leaf', files['alice-fullchain.pem']!, '--trust', pki.root.certPath, '--time', TIME],
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: 'alice without the intermediate',
    args: () => ['verify', '--leaf', user('alice'), '--trust', pki.root.certPath, '--time', TIME],
    expected: { exitCode: 1, reason: 'certificate-untrusted' },
  },
  { label: 'expired', args: () => through(user('expired')), expected: { exitCode: 1, reason: 'certificate-expired' } },
  {
    label: 'expired, within a 31-day --skew',
    args: () => through(user('expired'), '--skew', String(31 * 86_400)),
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: 'expired, beyond a 29-day --skew',
    args: () => through(user('expired'), '--skew', String(29 * 86_400)),
    expected: { exitCode: 1, reason: 'certificate-expired' },
  },
  {
    label: 'not yet valid',
    args: () => through(user('not-yet-valid')),
    expected: { exitCode: 1, reason: 'certificate-not-yet-valid' },
  },
  {
    label: 'issued by an untrusted root',
    args: () => through(user('untrusted')),
    expected: { exitCode: 1, reason: 'certificate-untrusted' },
  },
  {
    label: 'no Client Authentication EKU (default --eku)',
    args: () => through(user('no-client-auth')),
    expected: { exitCode: 1, reason: 'certificate-eku-missing' },
  },
  {
    label: 'no Client Authentication EKU, --eku by OID',
    args: () => through(user('no-client-auth'), '--eku', '1.3.6.1.5.5.7.3.2'),
    expected: { exitCode: 1, reason: 'certificate-eku-missing' },
  },
  {
    label: 'serverAuth leaf with --eku serverAuth',
    args: () => through(user('no-client-auth'), '--eku', 'serverAuth'),
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: 'serverAuth leaf with --eku none',
    args: () => through(user('no-client-auth'), '--eku', 'none'),
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: 'alice with --eku clientAuth --eku serverAuth (both required)',
    args: () => through(user('alice'), '--eku', 'clientAuth', '--eku', 'serverAuth'),
    expected: { exitCode: 1, reason: 'certificate-eku-missing' },
  },
  {
    label: '--max-depth 0 leaves no room for the intermediate',
    args: () => through(user('alice'), '--max-depth', '0'),
    expected: { exitCode: 1, reason: 'certificate-path-too-long' },
  },
  {
    label: '--max-depth 1 fits it',
    args: () => through(user('alice'), '--max-depth', '1'),
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: '--min-rsa-bits 4096 refuses the RSA-2048 root',
    args: () => through(user('alice'), '--min-rsa-bits', '4096'),
    expected: { exitCode: 1, reason: 'certificate-signature-algorithm-weak' },
  },
  {
    label: 'revoked, CRLs, --revocation required',
    args: () => through(user('revoked'), ...withCrls(), '--revocation', 'required'),
    expected: { exitCode: 1, reason: 'certificate-revoked' },
  },
  {
    label: 'revoked, PEM CRL for the issuing CA, --revocation preferred',
    args: () => through(user('revoked'), '--crl', files['ca-intermediate-crl.pem']!, '--revocation', 'preferred'),
    expected: { exitCode: 1, reason: 'certificate-revoked' },
  },
  {
    label: 'alice, CRLs, --revocation required',
    args: () => through(user('alice'), ...withCrls(), '--revocation', 'required'),
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: 'alice, no CRL, --revocation required',
    args: () => through(user('alice'), '--revocation', 'required'),
    expected: { exitCode: 1, reason: 'certificate-revocation-unknown' },
  },
  {
    label: 'alice, no CRL, --revocation preferred',
    args: () => through(user('alice'), '--revocation', 'preferred'),
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: 'SHA-1 signed leaf',
    args: () => through(files.sha1!),
    expected: { exitCode: 1, reason: 'certificate-signature-algorithm-weak' },
  },
  {
    label: 'SHA-1 signed leaf with --allow-sha1',
    args: () => through(files.sha1!, '--allow-sha1'),
    expected: { exitCode: 0, reason: 'certificate-valid' },
  },
  {
    label: 'a private key given as the leaf is a verdict',
    args: () => through(pki.users.alice!.keyPath),
    expected: { exitCode: 1, reason: 'certificate-malformed' },
  },
];

describe('certgate verify: verdicts', () => {
  it.each(verdictCases)('$label', async ({ args, expected }) => {
    const result = await run([...args(), '--json']);
    expect(result.stderr).toBe('');
    const parsed = JSON.parse(result.stdout) as ValidationResult;
    expect({ exitCode: result.exitCode, reason: parsed.reason, ok: parsed.ok }).toEqual({
      ...expected,
      ok: expected.exitCode === 0,
    });
  });

  it('--json prints the whole ValidationResult: path leaf first to the trusted root, trace in order', async () => {
    const result = await run([...through(user('alice')), '--json']);
    const parsed = JSON.parse(result.stdout) as ValidationResult;
    expect(parsed.path?.map((certificate) => certificate.serialNumber)).toEqual([
      pki.users.alice!.serialNumber,
      pki.intermediate.serialNumber,
      pki.root.serialNumber,
    ]);
    expect(parsed.leaf?.subjectAltNames).toContain('email:alice@contoso.example');
    expect(parsed.trace[0]).toMatchObject({ check: 'parse', certificate: 'leaf', outcome: 'pass' });
    expect(parsed.trace.every((entry) => entry.outcome !== 'fail')).toBe(true);
    expect(parsed.trace.map((entry) => entry.check)).toEqual(
      expect.arrayContaining(['path-building', 'signature', 'validity', 'extended-key-usage']),
    );
  });

  it('the human report shows the verdict, the path subjects with the trusted CA marked, and every trace entry in order', async () => {
    const json = JSON.parse(
      (await run([...through(user('revoked')), ...withCrls(), '--revocation', 'required', '--json'])).stdout,
    ) as ValidationResult;
    const human = await run([...through(user('revoked')), ...withCrls(), '--revocation', 'required']);
    expect(human.exitCode).toBe(1);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toBe('INVALID  certificate-revoked');
    expect(human.stdout).toContain(`time   ${new Date(TIME).toISOString()}`);
    const pathLines = lines.filter((line) => /^ {2}\d {2}/u.test(line));
    expect(pathLines.map((line) => line.replace(/^ {2}\d {2}/u, '').replace('  [trusted CA]', ''))).toEqual(
      json.path?.map((certificate) => certificate.subject),
    );
    expect(pathLines.map((line) => line.endsWith('[trusted CA]'))).toEqual([false, false, true]);
    const traceStart = lines.findIndex((line) => line === 'trace');
    const traceRows = lines
      .slice(traceStart + 2)
      .filter((line) => line.length > 0)
      .map((line) => line.trim().split(/\s{2,}/u));
    expect(traceRows.map((row) => row.slice(0, 4))).toEqual(
      json.trace.map((entry) => [entry.check, entry.certificate, entry.outcome, entry.reason ?? '-']),
    );
    expect(traceRows.at(-1)).toEqual([
      'revocation',
      'leaf',
      'fail',
      'certificate-revoked',
      expect.stringContaining(pki.users.revoked!.serialNumber),
    ]);
  });

  it('a valid path reports VALID and exit 0 in the human report', async () => {
    const result = await run(through(user('alice')));
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('VALID  certificate-valid');
  });
});

describe('certgate verify: the validation time', () => {
  it.each([
    {
      label: "now (injected) inside alice's validity",
      now: new Date(NOW.getTime() + DAY),
      expected: 'certificate-valid',
    },
    {
      label: "now (injected) past alice's notAfter",
      now: new Date(NOW.getTime() + 400 * DAY),
      expected: 'certificate-expired',
    },
    {
      label: 'now (injected) before the CAs existed',
      now: new Date(NOW.getTime() - 10 * DAY),
      expected: 'certificate-not-yet-valid',
    },
  ])('without --time the clock is used: $label', async ({ now, expected }) => {
    const result = await run(['verify', '--leaf', user('alice'), '--trust', pki.bundle.path, '--json'], now);
    expect((JSON.parse(result.stdout) as ValidationResult).reason).toBe(expected);
  });

  it('--time wins over the clock', async () => {
    const result = await run(
      ['verify', '--leaf', user('alice'), '--trust', pki.bundle.path, '--time', TIME, '--json'],
      new Date(NOW.getTime() + 400 * DAY),
    );
    expect((JSON.parse(result.stdout) as ValidationResult).reason).toBe('certificate-valid');
  });
});

interface UsageCase {
  readonly label: string;
  readonly argv: () => string[];
  /** What the stderr message must name (an option, a file, a command). */
  readonly names: () => string[];
}

const usageCases: UsageCase[] = [
  { label: 'no command', argv: () => [], names: () => ['command'] },
  { label: 'unknown command', argv: () => ['frobnicate'], names: () => ["'frobnicate'"] },
  { label: 'unknown option', argv: () => [...through(user('alice')), '--frobnicate'], names: () => ['--frobnicate'] },
  { label: 'no --leaf', argv: () => ['verify', '--trust', pki.root.certPath], names: () => ['--leaf'] },
  {
    label: '--leaf without a value',
    argv: () => ['verify', '--trust', pki.root.certPath, '--leaf'],
    names: () => ['--leaf'],
  },
  {
    label: '--leaf twice',
    argv: () => ['verify', '--leaf', user('alice'), '--leaf', user('bob'), '--trust', pki.root.certPath],
    names: () => ['--leaf'],
  },
  { label: 'no --trust', argv: () => ['verify', '--leaf', user('alice')], names: () => ['--trust'] },
  {
    label: 'a positional argument',
    argv: () => [...through(user('alice')), 'extra.crt'],
    names: () => ["'extra.crt'"],
  },
  { label: '--json with a value', argv: () => [...through(user('alice')), '--json=yes'], names: () => ['--json'] },
  {
    label: 'missing leaf file',
    argv: () => through(join(base, 'nope.crt')),
    names: () => ['--leaf', join(base, 'nope.crt')],
  },
  { label: 'leaf is a directory', argv: () => through(base), names: () => ['--leaf', base] },
  {
    label: 'missing trust file',
    argv: () => ['verify', '--leaf', user('alice'), '--trust', join(base, 'root-nope.crt')],
    names: () => ['--trust', join(base, 'root-nope.crt')],
  },
  {
    label: 'trust file is a private key',
    argv: () => ['verify', '--leaf', user('alice'), '--trust', pki.root.keyPath],
    names: () => ['--trust', pki.root.keyPath],
  },
  {
    label: 'trust file is empty',
    argv: () => ['verify', '--leaf', user('alice'), '--trust', files['empty.crt']!],
    names: () => ['--trust', files['empty.crt']!],
  },
  {
    label: 'missing chain file',
    argv: () => [...through(user('alice')), '--chain', join(base, 'chain-nope.pem')],
    names: () => ['--chain', join(base, 'chain-nope.pem')],
  },
  {
    label: 'chain file is a CRL',
    argv: () => [...through(user('alice')), '--chain', pki.crls.root.path],
    names: () => ['--chain', pki.crls.root.path],
  },
  {
    label: 'missing CRL file',
    argv: () => [...through(user('alice')), '--crl', join(base, 'nope.crl')],
    names: () => ['--crl', join(base, 'nope.crl')],
  },
  {
    label: 'CRL file is a certificate',
    argv: () => [...through(user('alice')), '--crl', pki.root.certPath],
    names: () => ['--crl', pki.root.certPath],
  },
  {
    label: 'unknown --revocation mode',
    argv: () => [...through(user('alice')), '--revocation', 'maybe'],
    names: () => ['--revocation', "'maybe'"],
  },
  {
    label: '--time not a date',
    argv: () => ['verify', '--leaf', user('alice'), '--trust', pki.root.certPath, '--time', 'yesterday'],
    names: () => ['--time', "'yesterday'"],
  },
  {
    label: '--time not a calendar day',
    argv: () => ['verify', '--leaf', user('alice'), '--trust', pki.root.certPath, '--time', '2026-02-30T00:00:00Z'],
    names: () => ['--time'],
  },
  {
    label: '--time without a zone',
    argv: () => ['verify', '--leaf', user('alice'), '--trust', pki.root.certPath, '--time', '2026-01-15T12:00:00'],
    names: () => ['--time'],
  },
  {
    label: '--max-depth negative',
    argv: () => [...through(user('alice')), '--max-depth=-1'],
    names: () => ['--max-depth', "'-1'"],
  },
  {
    label: '--max-depth fractional',
    argv: () => [...through(user('alice')), '--max-depth', '1.5'],
    names: () => ['--max-depth'],
  },
  { label: '--skew not a number', argv: () => [...through(user('alice')), '--skew', 'abc'], names: () => ['--skew'] },
  {
    label: '--min-rsa-bits not a number',
    argv: () => [...through(user('alice')), '--min-rsa-bits', '2k'],
    names: () => ['--min-rsa-bits'],
  },
  {
    label: '--eku unknown name',
    argv: () => [...through(user('alice')), '--eku', 'clientauth'],
    names: () => ['--eku', "'clientauth'"],
  },
  {
    label: '--eku none with another EKU',
    argv: () => [...through(user('alice')), '--eku', 'none', '--eku', 'clientAuth'],
    names: () => ['--eku none'],
  },
];

describe('certgate verify: usage errors exit 2 and name what is wrong', () => {
  it.each(usageCases)('$label', async ({ argv, names }) => {
    const result = await run(argv());
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
    for (const name of names()) expect(result.stderr).toContain(name);
  });

  it.each([
    { label: 'certgate help', argv: ['help'], mentions: 'verify' },
    { label: 'certgate --help', argv: ['--help'], mentions: 'verify' },
    { label: 'certgate verify --help', argv: ['verify', '--help'], mentions: '--revocation MODE' },
    { label: 'certgate verify -h', argv: ['verify', '-h'], mentions: '--leaf FILE' },
  ])('$label prints usage and exits 0', async ({ argv, mentions }) => {
    const result = await run(argv);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(mentions);
  });
});

describe('certgate verify: the executable', () => {
  const execFileAsync = promisify(execFile);
  const entry = join(REPO_ROOT, 'shared/cli/certgate.ts');
  const runEntry = async (argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await execFileAsync(process.execPath, ['--import', 'tsx', entry, ...argv], {
        cwd: REPO_ROOT,
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  };

  it.each([
    {
      label: 'valid → exit 0',
      argv: () => ['verify', '--leaf', user('alice'), '--trust', pki.bundle.path, '--time', TIME, '--json'],
      code: 0,
      reason: 'certificate-valid',
    },
    {
      label: 'expired → exit 1',
      argv: () => ['verify', '--leaf', user('expired'), '--trust', pki.bundle.path, '--time', TIME, '--json'],
      code: 1,
      reason: 'certificate-expired',
    },
  ])('runs as a process: $label', async ({ argv, code, reason }) => {
    const result = await runEntry(argv());
    expect(result.code).toBe(code);
    expect((JSON.parse(result.stdout) as ValidationResult).reason).toBe(reason);
  });

  it('runs as a process: a usage error → exit 2 on stderr', async () => {
    const result = await runEntry(['verify', '--leaf', user('alice')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--trust');
  });
});
