/**
 * `certgate verify` on generated PKIs for RFC 5280 §6.1: the policy options (`--policy`,
 * `--explicit-policy`, `--inhibit-policy-mapping`, `--inhibit-any-policy`), and the human report
 * of a rejected path naming the RFC check that failed and the certificate it failed on (subject
 * and position) — for self-issued certificates, certificate policies and algorithm refusals.
 */
import 'reflect-metadata';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ValidationResult } from '../../shared/cert/validation/index.js';
import { main } from '../../shared/cli/certgateCommand.js';
import type { CommandIo } from '../../shared/cli/commandIo.js';
import { ANY_POLICY, P1, P2, dsaKeyPair, generatePath, reissue } from '../cert/validation/rfc5280Pki.js';
import { NOW, issueTestCertificate as issue } from '../cert/validation/testCertificates.js';

let base: string;
const files: Record<string, string> = {};

async function write(name: string, der: Uint8Array): Promise<string> {
  const path = join(base, name);
  await writeFile(path, der);
  files[name] = path;
  return path;
}

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'certgate-cli-rfc5280-'));
  // Policy mapping: CA 1 maps P1 → P2, the leaf asserts P2.
  const mapped = await generatePath([{ name: 'CN=mapping CA', policies: [P1], mappings: [[P1, P2]] }], {
    policies: [P2],
  });
  await write('mapped-root.der', mapped.anchor.cert.der);
  await write('mapped-ca.der', mapped.cas[0]!.cert.der);
  await write('mapped-leaf.der', mapped.leaf.cert.der);
  // Mapping to anyPolicy (§6.1.4 (a)).
  const toAny = await generatePath([{ name: 'CN=bad mapping CA', policies: [P1], mappings: [[P1, ANY_POLICY]] }], {
    policies: [P1],
  });
  await write('to-any-root.der', toAny.anchor.cert.der);
  await write('to-any-ca.der', toAny.cas[0]!.cert.der);
  await write('to-any-leaf.der', toAny.leaf.cert.der);
  // pathLenConstraint 0 on a self-issued CA, then a sub CA (§6.1.4 (l)).
  const root = await issue({ subject: 'CN=cli root', ca: {} });
  const issuing = await issue({ subject: 'CN=cli issuing CA', issuer: root.credentials, ca: {} });
  const link = await issue({ subject: 'CN=cli issuing CA', issuer: issuing.credentials, ca: { pathLength: 0 } });
  const sub = await issue({ subject: 'CN=cli sub CA', issuer: link.credentials, ca: {} });
  const leaf = await issue({ subject: 'CN=cli leaf', issuer: sub.credentials, extKeyUsage: ['clientAuth'] });
  await write('pl-root.der', root.cert.der);
  await write('pl-issuing.der', issuing.cert.der);
  await write('pl-link.der', link.cert.der);
  await write('pl-sub.der', sub.cert.der);
  await write('pl-leaf.der', leaf.cert.der);
  // A leaf of the issuing CA with a DSA key.
  const template = await issue({
    subject: 'CN=cli dsa leaf',
    issuer: issuing.credentials,
    extKeyUsage: ['clientAuth'],
  });
  await write(
    'dsa-leaf.der',
    await reissue(template.cert.der, { subjectKey: dsaKeyPair().publicKey, signer: issuing.keys.privateKey }),
  );
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function run(argv: readonly string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const io: CommandIo = {
    stdout: { write: (text: string) => stdout.push(text) },
    stderr: { write: (text: string) => stderr.push(text) },
  };
  const exitCode = await main(argv, io);
  return { exitCode, stdout: stdout.join(''), stderr: stderr.join('') };
}

const TIME = NOW.toISOString();
const mapped = (): string[] => [
  'verify',
  '--leaf',
  files['mapped-leaf.der']!,
  '--chain',
  files['mapped-ca.der']!,
  '--trust',
  files['mapped-root.der']!,
  '--time',
  TIME,
];
const pathLength = (): string[] => [
  'verify',
  '--leaf',
  files['pl-leaf.der']!,
  '--chain',
  files['pl-issuing.der']!,
  '--chain',
  files['pl-link.der']!,
  '--chain',
  files['pl-sub.der']!,
  '--trust',
  files['pl-root.der']!,
  '--time',
  TIME,
];

describe('certgate verify: certificate policy options (RFC 5280 §6.1.1 inputs)', () => {
  it.each([
    {
      label: "defaults: valid, the user-constrained set is P1 (the anchor's domain)",
      extra: [],
      exitCode: 0,
      reason: 'certificate-valid',
      userConstrained: [P1],
    },
    {
      label: '--policy P1 --explicit-policy: valid',
      extra: ['--policy', P1, '--explicit-policy'],
      exitCode: 0,
      reason: 'certificate-valid',
      userConstrained: [P1],
    },
    {
      label: "--policy P2 --explicit-policy: P2 is only the leaf's domain, invalid",
      extra: ['--policy', P2, '--explicit-policy'],
      exitCode: 1,
      reason: 'certificate-policy-invalid',
    },
    {
      label: '--inhibit-policy-mapping --explicit-policy: invalid',
      extra: ['--inhibit-policy-mapping', '--explicit-policy'],
      exitCode: 1,
      reason: 'certificate-policy-invalid',
    },
    {
      label: '--inhibit-any-policy alone: still valid (no anyPolicy here)',
      extra: ['--inhibit-any-policy'],
      exitCode: 0,
      reason: 'certificate-valid',
      userConstrained: [P1],
    },
  ])('$label', async ({ extra, exitCode, reason, userConstrained }) => {
    const result = await run([...mapped(), ...extra, '--json']);
    expect(result.stderr).toBe('');
    const parsed = JSON.parse(result.stdout) as ValidationResult;
    expect({ exitCode: result.exitCode, reason: parsed.reason }).toEqual({ exitCode, reason });
    if (userConstrained !== undefined) expect(parsed.userConstrainedPolicySet).toEqual(userConstrained);
  });

  it('--policy takes dotted OIDs only, and `any`', async () => {
    const bad = await run([...mapped(), '--policy', 'gold']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--policy');
    const any = await run([...mapped(), '--policy', 'any', '--explicit-policy', '--json']);
    expect((JSON.parse(any.stdout) as ValidationResult).reason).toBe('certificate-valid');
  });

  it('the human report of a valid path lists the validated policies', async () => {
    const result = await run(mapped());
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^policies +${P1.replaceAll('.', '\\.')} \\(user-constrained\\)`, 'mu'));
  });
});

describe('certgate verify: a rejected path names the RFC check that failed and the certificate', () => {
  it.each([
    {
      label: 'policy mapping to anyPolicy: §6.1.4 (a) on the mapping CA',
      args: () => [
        'verify',
        '--leaf',
        files['to-any-leaf.der']!,
        '--chain',
        files['to-any-ca.der']!,
        '--trust',
        files['to-any-root.der']!,
        '--time',
        TIME,
      ],
      reason: 'certificate-policy-invalid',
      rule: 'RFC 5280 §6.1.4 (a)',
      certificate: 'intermediate[1]',
      subject: 'CN=bad mapping CA',
    },
    {
      label: 'explicit policy not met: §6.1.5 (g) on the leaf',
      args: () => [...mapped(), '--policy', P2, '--explicit-policy'],
      reason: 'certificate-policy-invalid',
      rule: 'RFC 5280 §6.1.5 (g)',
      certificate: 'leaf',
      subject: 'CN=policy test leaf',
    },
    {
      label: 'pathLenConstraint 0 of a self-issued CA: §6.1.4 (l) on the sub CA',
      args: () => pathLength(),
      reason: 'certificate-path-length-exceeded',
      rule: 'RFC 5280 §6.1.4 (l)',
      certificate: 'intermediate[1]',
      subject: 'CN=cli sub CA',
    },
    {
      label: 'a DSA key: §6.1.3 (a)(1) with the algorithm policy, on the leaf',
      args: () => [
        'verify',
        '--leaf',
        files['dsa-leaf.der']!,
        '--chain',
        files['pl-issuing.der']!,
        '--trust',
        files['pl-root.der']!,
        '--time',
        TIME,
      ],
      reason: 'certificate-algorithm-dsa-refused',
      rule: 'RFC 5280 §6.1.3 (a)(1) with the certgate algorithm policy',
      certificate: 'leaf',
      subject: 'CN=cli dsa leaf',
    },
  ])('$label', async ({ args, reason, rule, certificate, subject }) => {
    const result = await run(args());
    expect(result.exitCode).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`INVALID  ${reason}`);
    const failed = lines.find((line) => line.startsWith('failed '));
    expect(failed).toBeDefined();
    expect(failed).toContain(rule);
    expect(failed).toContain(`${certificate} ${subject}`);
  });
});
