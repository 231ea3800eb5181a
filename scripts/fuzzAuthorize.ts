/**
 * Fuzzes `/api/authorize` over real HTTP: valid encodings of every gateway format, mutated
 * (truncated, flipped, padded, duplicated, oversized, cross-format, garbage), with the right, a
 * wrong or no gateway secret. Counts statuses; any 5xx or dropped connection is a failure.
 * Seeded, bounded in count, loopback only. The requests go in parts of `--per-stack` (default
 * 5,000), each to a fresh local stack in a process of its own (a worker's services are built once
 * per process), seeded `seed + part`: every decision is written to the local Table Storage, an
 * Azurite in the stack's process whose store slows with every row it holds (inserts scan it), so
 * one stack for 100,000 requests would measure Azurite, at a few dozen requests per second by the
 * end, not the decision path.
 *
 *   npx tsx scripts/fuzzAuthorize.ts [--requests 100000] [--seed 1] [--concurrency 16] [--per-stack 5000]
 */
import { spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { startEphemeralStack, type Stack } from '../dev/stack.js';
import { GATEWAY_KINDS, encodeForwardedCertificate, type GatewayKind } from '../shared/cert/intake/index.js';
import { numberOption } from '../dev/commandLine.js';

/** Where to send, and the material to mutate. */
export interface FuzzTarget {
  readonly url: string;
  readonly secretHeader: string;
  /** The secret for each gateway kind configured on the target. */
  readonly secrets: Readonly<Partial<Record<GatewayKind, string>>>;
  readonly leafDer: Uint8Array;
  readonly chainDer: readonly Uint8Array[];
}

/** What a run saw. */
export interface FuzzReport {
  readonly requests: number;
  readonly byStatus: Record<string, number>;
  readonly serverErrors: number;
  readonly transportErrors: number;
  readonly examples: string[];
  readonly seconds: number;
}

/** xorshift32: small, seeded, good enough to pick mutations reproducibly. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

const PRINTABLE: readonly string[] = [...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)), '\t'];
const SPECIAL = [
  '%',
  '%2',
  '%zz',
  ',',
  ', ',
  '"',
  '\\"',
  ';',
  '=',
  ':',
  '+',
  '/',
  ' ',
  '-----BEGIN CERTIFICATE-----',
  '-----END CERTIFICATE-----',
  'Cert=',
  'Chain="',
  ':AAAA:',
  '%0A',
];

/** Runs `count` requests against the target. */
export async function fuzzAuthorize(
  target: FuzzTarget,
  count: number,
  seed = 1,
  concurrency = 16,
): Promise<FuzzReport> {
  const next = random(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const int = (max: number) => Math.floor(next() * max);
  const printable = (length: number) => Array.from({ length }, () => pick(PRINTABLE)).join('');

  const mutate = (value: string): string => {
    switch (int(10)) {
      case 0:
        return value;
      case 1:
        return value.slice(0, int(value.length + 1));
      case 2: {
        const at = int(value.length + 1);
        return value.slice(0, at) + pick(PRINTABLE) + value.slice(at + 1);
      }
      case 3: {
        const at = int(value.length + 1);
        return value.slice(0, at) + pick(SPECIAL) + value.slice(at);
      }
      case 4:
        return `${value}, ${value}`;
      case 5:
        return value.repeat(2 + int(8));
      case 6:
        return '';
      case 7:
        return printable(int(400));
      case 8:
        return value.replace(/[A-Za-z0-9]/g, (c) => (next() < 0.02 ? pick(PRINTABLE) : c));
      default:
        return value.split('').reverse().join('');
    }
  };

  const requestHeaders = (): Record<string, string> => {
    const kind = pick(GATEWAY_KINDS);
    const chain = next() < 0.3 ? target.chainDer : [];
    const encoded = encodeForwardedCertificate(
      pick(GATEWAY_KINDS),
      target.leafDer,
      chain,
      next() < 0.5 ? { verification: { status: pick(['success', 'failed', 'none'] as const), detail: 'x' } } : {},
    );
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(encoded)) {
      const header = next() < 0.2 ? name.toUpperCase() : name;
      headers[header] = mutate(value)
        .replace(/[^\t\x20-\x7e]/g, '?')
        .trim();
    }
    const secret = target.secrets[kind];
    const proof = next();
    if (secret && proof < 0.75) headers[target.secretHeader] = secret;
    else if (proof < 0.9)
      headers[target.secretHeader] = mutate(secret ?? 'wrong-secret-0123456789')
        .replace(/[^\t\x20-\x7e]/g, '?')
        .trim();
    return headers;
  };

  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const byStatus: Record<string, number> = {};
  const examples: string[] = [];
  let serverErrors = 0;
  let transportErrors = 0;
  let sent = 0;
  const started = performance.now();

  const one = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const req = request(target.url, { method: 'GET', headers, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
        res.on('error', () => {
          resolve(-1);
        });
      });
      req.on('error', (error) => {
        if (examples.length < 5) examples.push(`transport: ${error.message}`);
        resolve(-1);
      });
      req.end();
    });

  const worker = async () => {
    while (sent < count) {
      sent++;
      let headers: Record<string, string>;
      try {
        headers = requestHeaders();
      } catch {
        continue;
      }
      const status = await one(headers);
      byStatus[String(status)] = (byStatus[String(status)] ?? 0) + 1;
      if (status === -1) transportErrors++;
      else if (status >= 500) {
        serverErrors++;
        if (examples.length < 5) examples.push(`${status}: ${JSON.stringify(headers).slice(0, 300)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return {
    requests: count,
    byStatus,
    serverErrors,
    transportErrors,
    examples,
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * The fuzz target for a stack set up with {@link everyGatewaySettings}: its functions host, alice's certificate and
 * chain.
 */
export function fuzzTargetFor(stack: Stack, secretOf: (kind: GatewayKind) => string): FuzzTarget {
  return {
    url: `${stack.hostUrl}/api/authorize`,
    secretHeader: stack.config.gateway.secretHeader,
    secrets: Object.fromEntries(GATEWAY_KINDS.map((kind) => [kind, secretOf(kind)])),
    leafDer: stack.pki.users.alice!.certDer,
    chainDer: [stack.pki.intermediate.certDer],
  };
}

/** The settings that put one gateway of every kind in front of the app, each with its own secret. */
export function everyGatewaySettings(secretOf: (kind: GatewayKind) => string): Record<string, string> {
  const [first, ...rest] = GATEWAY_KINDS;
  return {
    CERTGATE_GATEWAY_KIND: first,
    CERTGATE_GATEWAY_SECRETS: secretOf(first),
    CERTGATE_ADDITIONAL_GATEWAYS: JSON.stringify(rest.map((kind) => ({ kind, secrets: [secretOf(kind)] }))),
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const count = numberOption('requests', 100_000);
  const seed = numberOption('seed', 1);
  const concurrency = numberOption('concurrency', 16);
  if (args.includes('--one-stack')) {
    // One part: this process's stack, its report as the last line of the output.
    const secretOf = (kind: GatewayKind) => `fuzz-secret-for-${kind}-0123456789`;
    const stack = await startEphemeralStack('fuzz', everyGatewaySettings(secretOf));
    try {
      const report = await fuzzAuthorize(fuzzTargetFor(stack, secretOf), count, seed, concurrency);
      console.log(`${PART_REPORT}${JSON.stringify(report)}`);
    } finally {
      await stack.close();
    }
    return;
  }
  const perStack = Math.max(1, numberOption('per-stack', 5_000));
  const parts: FuzzReport[] = [];
  for (let part = 0; part * perStack < count; part++) {
    const size = Math.min(perStack, count - part * perStack);
    const report = fuzzPartInItsOwnProcess(size, seed + part, concurrency);
    parts.push(report);
    console.log(
      `part ${part + 1}: ${report.requests} requests in ${report.seconds.toFixed(1)} s (seed ${seed + part}): ` +
        `${report.serverErrors} 5xx, ${report.transportErrors} transport errors`,
    );
  }
  const report = mergedReports(parts);
  console.log(JSON.stringify(report, null, 2));
  console.log(
    `${report.requests} requests in ${report.seconds.toFixed(1)} s: ${report.serverErrors} 5xx, ${report.transportErrors} transport errors`,
  );
  process.exitCode = report.serverErrors === 0 && report.transportErrors === 0 ? 0 : 1;
}

/** Marks the line a part's process writes its report on. */
const PART_REPORT = 'fuzz part report: ';

/** Runs one part in a child process of this script (its own stack); its report. */
function fuzzPartInItsOwnProcess(count: number, seed: number, concurrency: number): FuzzReport {
  const script = fileURLToPath(import.meta.url);
  const run = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      script,
      '--one-stack',
      '--requests',
      `${count}`,
      '--seed',
      `${seed}`,
      '--concurrency',
      `${concurrency}`,
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 256 * 1024 * 1024 },
  );
  const line = run.stdout.split('\n').find((text) => text.startsWith(PART_REPORT));
  if (run.status !== 0 || line === undefined)
    throw new Error(`the fuzz part (seed ${seed}) ended with status ${run.status} and no report`);
  return JSON.parse(line.slice(PART_REPORT.length)) as FuzzReport;
}

/** The reports of several parts as one: counts added, the first examples kept. */
export function mergedReports(parts: readonly FuzzReport[]): FuzzReport {
  const byStatus: Record<string, number> = {};
  for (const part of parts)
    for (const [status, n] of Object.entries(part.byStatus)) byStatus[status] = (byStatus[status] ?? 0) + n;
  const sum = (pick: (report: FuzzReport) => number) => parts.reduce((total, part) => total + pick(part), 0);
  return {
    requests: sum((part) => part.requests),
    byStatus,
    serverErrors: sum((part) => part.serverErrors),
    transportErrors: sum((part) => part.transportErrors),
    examples: parts.flatMap((part) => part.examples).slice(0, 20),
    seconds: sum((part) => part.seconds),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
