/**
 * x509-limbo conformance run for certgate's path validator.
 *
 *   npx tsx scripts/conformance.ts [--json out.json] [--namespace ns] [--quiet] [--write-baseline]
 *
 * Reads the limbo suite (CERTGATE_LIMBO, else ../shared/conformance/limbo.json.gz from the repo
 * root), selects the cases a client-certificate validator can be judged on (the rule of
 * ../shared/conformance/README.md, see `selectCase`), runs each through validateCertificatePath
 * and prints pass counts per namespace, every skipped case with its reason, and every failing
 * case with the reason code returned. `--write-baseline` records the pass counts in
 * conformance-baseline.json, which test/conformance/limbo.test.ts (which imports this module)
 * holds the validator to.
 * May import: node built-ins, shared/cert/*.
 */
import { ExtendedKeyUsageOid } from '../shared/cert/x509/oids.js';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { createTrustStore, validateCertificatePath, type CertificateReason } from '../shared/cert/validation/index.js';

/** One limbo test case (the fields certgate uses). */
export interface LimboCase {
  readonly id: string;
  readonly description: string;
  readonly features?: readonly string[];
  readonly validation_kind: 'SERVER' | 'CLIENT';
  readonly trusted_certs: readonly string[];
  readonly untrusted_intermediates: readonly string[];
  readonly peer_certificate: string;
  readonly validation_time: string | null;
  readonly extended_key_usage: readonly string[];
  readonly max_chain_depth: number | null;
  readonly crls: readonly string[];
  readonly expected_peer_name: { readonly kind: string; readonly value: string } | null;
  readonly expected_result: 'SUCCESS' | 'FAILURE';
  readonly conflicts_with?: readonly string[];
}

/** Outcome of one case. */
export interface CaseResult {
  readonly id: string;
  readonly namespace: string;
  readonly selected: boolean;
  readonly skipReason?: string;
  readonly expected?: 'SUCCESS' | 'FAILURE';
  readonly reason?: CertificateReason;
  readonly passed?: boolean;
}

/** Per-namespace tallies. */
export type NamespaceTally = Record<string, { selected: number; passed: number; skipped: number }>;

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Path of the pass-count baseline the conformance test enforces. */
export const BASELINE_PATH = resolve(REPO_ROOT, 'conformance-baseline.json');

/** The baseline file's shape. */
export interface ConformanceBaseline {
  readonly note: string;
  readonly namespaces: Record<string, { readonly selected: number; readonly passed: number }>;
}

/** Where the limbo file is: CERTGATE_LIMBO, else ../shared/conformance/limbo.json.gz. */
export function limboPath(): string {
  return process.env.CERTGATE_LIMBO ?? resolve(REPO_ROOT, '../shared/conformance/limbo.json.gz');
}

/** Load the limbo test cases (gzip or plain JSON). */
export function loadLimbo(path = limboPath()): LimboCase[] {
  const raw = readFileSync(path);
  const text = path.endsWith('.gz') ? gunzipSync(raw).toString('utf8') : raw.toString('utf8');
  return (JSON.parse(text) as { testcases: LimboCase[] }).testcases;
}

/** Namespace of a case id: `bettertls::<suite>` or the first segment. */
export function namespaceOf(id: string): string {
  const parts = id.split('::');
  return parts[0] === 'bettertls' ? `${parts[0]}::${parts[1] ?? ''}` : (parts[0] ?? id);
}

const EKU_OIDS: Readonly<Record<string, string>> = ExtendedKeyUsageOid;

/** The leaf's SAN entries as node:crypto (OpenSSL) prints them; an independent, lenient parser. */
function leafSubjectAltNames(pem: string): string[] {
  try {
    const text = new X509Certificate(pem).subjectAltName ?? '';
    return text.split(/,\s*/u).filter((entry) => entry !== '');
  } catch {
    return [];
  }
}

function normaliseIp(value: string): string {
  if (!value.includes(':')) return value;
  // Expand IPv6 to 8 groups without leading zeros, as OpenSSL prints it.
  const [head = '', tail = ''] = value.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = value.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const fill = value.includes('::') ? Array.from({ length: 8 - headGroups.length - tailGroups.length }, () => '0') : [];
  return [...headGroups, ...fill, ...tailGroups]
    .map((group: string) => parseInt(group, 16).toString(16).toUpperCase())
    .join(':');
}

/**
 * The selection rule of the conformance README: every CLIENT case; every SUCCESS case; and the
 * FAILURE cases whose failure lies in the chain, not in the host name: the expected peer name is
 * an exact SAN of the leaf, or the description says the chain is at fault (limbo marks those
 * "**invalid**"). Returns undefined when selected, else the skip reason.
 */
export function selectCase(testCase: LimboCase): string | undefined {
  if (testCase.validation_kind === 'CLIENT') return undefined;
  if (testCase.expected_result === 'SUCCESS') return undefined;
  if (testCase.features?.includes('denial-of-service') === true) return undefined;
  // limbo marks chain faults "**invalid**"; one such case says the fault is the SAN after all.
  if (testCase.description.includes('**invalid**') && !/different\s+SAN\s+than\s+expected/u.test(testCase.description))
    return undefined;
  const peer = testCase.expected_peer_name;
  if (peer === null) return undefined;
  const sans = leafSubjectAltNames(testCase.peer_certificate);
  const wanted =
    peer.kind === 'DNS'
      ? `DNS:${peer.value}`
      : peer.kind === 'IP'
        ? `IP Address:${normaliseIp(peer.value)}`
        : `email:${peer.value}`;
  const present = sans.map((entry) =>
    entry.startsWith('IP Address:') ? `IP Address:${normaliseIp(entry.slice('IP Address:'.length))}` : entry,
  );
  if (present.includes(wanted)) return undefined;
  return `host-name case: expected peer ${peer.kind} ${peer.value} is not an exact SAN of the leaf and the description does not put the fault in the chain`;
}

/** The expected result, with webpki cases that conflict with an rfc5280 case following RFC 5280. */
export function expectedResult(testCase: LimboCase, byId: ReadonlyMap<string, LimboCase>): 'SUCCESS' | 'FAILURE' {
  if (namespaceOf(testCase.id) !== 'webpki') return testCase.expected_result;
  const rfcCase = (testCase.conflicts_with ?? [])
    .map((id) => byId.get(id))
    .find((other) => other !== undefined && namespaceOf(other.id) === 'rfc5280');
  return rfcCase?.expected_result ?? testCase.expected_result;
}

/** Run one selected case through the validator. */
export function runCase(
  testCase: LimboCase,
  now: Date,
  expected: 'SUCCESS' | 'FAILURE' = testCase.expected_result,
): { reason: CertificateReason; passed: boolean } {
  const ekus =
    testCase.extended_key_usage.length > 0
      ? testCase.extended_key_usage
      : [testCase.validation_kind === 'CLIENT' ? 'clientAuth' : 'serverAuth'];
  const result = validateCertificatePath({
    leaf: testCase.peer_certificate,
    intermediates: testCase.untrusted_intermediates,
    trustStore: createTrustStore(testCase.trusted_certs),
    time: testCase.validation_time === null ? now : new Date(testCase.validation_time),
    requiredEkus: ekus.map((name) => EKU_OIDS[name] ?? name),
    // CLIENT cases get certgate's client-certificate leaf profile (its default); SERVER cases are
    // judged on RFC 5280 alone, which lets a CA be the leaf and reads a missing EKU as "any".
    leafProfile: testCase.validation_kind === 'CLIENT' ? 'client-certificate' : 'rfc5280',
    ...(testCase.max_chain_depth === null ? {} : { maxChainDepth: testCase.max_chain_depth }),
    ...(testCase.crls.length > 0 ? { crls: testCase.crls, revocation: 'required' as const } : {}),
  });
  return { reason: result.reason, passed: result.ok === (expected === 'SUCCESS') };
}

/** Select and run every case (optionally one namespace). */
export function runConformance(
  cases: readonly LimboCase[],
  now: Date,
  namespace?: string,
): { results: CaseResult[]; tally: NamespaceTally } {
  const results: CaseResult[] = [];
  const tally: NamespaceTally = {};
  const byId = new Map(cases.map((testCase) => [testCase.id, testCase]));
  for (const testCase of cases) {
    const ns = namespaceOf(testCase.id);
    if (namespace !== undefined && ns !== namespace && !testCase.id.startsWith(`${namespace}::`)) continue;
    const entry = (tally[ns] ??= { selected: 0, passed: 0, skipped: 0 });
    const skipReason = selectCase(testCase);
    if (skipReason !== undefined) {
      entry.skipped += 1;
      results.push({ id: testCase.id, namespace: ns, selected: false, skipReason });
      continue;
    }
    const expected = expectedResult(testCase, byId);
    const { reason, passed } = runCase(testCase, now, expected);
    entry.selected += 1;
    if (passed) entry.passed += 1;
    results.push({ id: testCase.id, namespace: ns, selected: true, expected, reason, passed });
  }
  return { results, tally };
}

function main(argv: readonly string[]): void {
  const jsonIndex = argv.indexOf('--json');
  const namespaceIndex = argv.indexOf('--namespace');
  const jsonOut = jsonIndex === -1 ? undefined : argv[jsonIndex + 1];
  const namespace = namespaceIndex === -1 ? undefined : argv[namespaceIndex + 1];
  const quiet = argv.includes('--quiet');
  const path = limboPath();
  if (!existsSync(path)) {
    console.error(`limbo file not found at ${path} (set CERTGATE_LIMBO)`);
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const { results, tally } = runConformance(loadLimbo(path), new Date(), namespace);
  const elapsed = performance.now() - started;
  if (!quiet) {
    for (const result of results) if (!result.selected) console.log(`SKIP ${result.id}: ${result.skipReason ?? ''}`);
  }
  for (const result of results) {
    if (result.selected && result.passed === false)
      console.log(`FAIL ${result.id}: expected ${result.expected ?? ''}, got ${result.reason ?? ''}`);
  }
  console.log('\nnamespace                         passed / selected   (skipped)');
  let passed = 0;
  let selected = 0;
  for (const [ns, entry] of Object.entries(tally).sort(([a], [b]) => a.localeCompare(b))) {
    passed += entry.passed;
    selected += entry.selected;
    const percent = entry.selected === 0 ? '-' : `${((100 * entry.passed) / entry.selected).toFixed(1)}%`;
    console.log(
      `${ns.padEnd(32)} ${String(entry.passed).padStart(6)} / ${String(entry.selected).padEnd(6)} ${percent.padStart(7)}   (${entry.skipped} skipped)`,
    );
  }
  console.log(
    `${'total'.padEnd(32)} ${String(passed).padStart(6)} / ${String(selected).padEnd(6)}   in ${(elapsed / 1000).toFixed(1)} s`,
  );
  if (argv.includes('--write-baseline') && namespace === undefined) {
    const baseline: ConformanceBaseline = {
      note: 'x509-limbo pass counts per namespace on the README selection; test/conformance/limbo.test.ts fails if any drops. Regenerate with: npx tsx scripts/conformance.ts --quiet --write-baseline',
      namespaces: Object.fromEntries(
        Object.entries(tally)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([ns, entry]) => [ns, { selected: entry.selected, passed: entry.passed }]),
      ),
    };
    writeFileSync(BASELINE_PATH, `${JSON.stringify(baseline, null, 2)}\n`);
    console.log(`baseline written to ${BASELINE_PATH}`);
  }
  if (jsonOut !== undefined) writeFileSync(jsonOut, `${JSON.stringify({ tally, results }, null, 2)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  main(process.argv.slice(2));
