/**
 * Gate mode against the upstream it fronts, side by side in one run (ratios; the machine is
 * shared and noisy):
 *  - a small GET (a 1 KiB answer): requests/s through the local Functions host and the gate
 *    (decision with a forwarded valid certificate under the gateway secret, identity headers and
 *    the signed assertion, the proxy hop) ÷ the same GET straight to the upstream. Load from `wrk`
 *    when installed, else an in-process Node client (which shares the CPU; the output says which).
 *    Target ≥ 0.5. Also `/api/authorize` alone with the same headers (the decision without the
 *    proxy hop), to tell deciding from proxying;
 *  - streaming: seconds to read a 1 GiB download through the host and the gate ÷ straight from the
 *    upstream (as throughput: direct time ÷ gate time; target ≥ 0.7), with the resident memory's
 *    growth while it flows (everything runs in this process); `--pairs` direct / gate pairs, the
 *    median pair's ratio reported.
 *
 *   npx tsx bench/gate.ts [--seconds 5] [--concurrency 32] [--gib 1] [--pairs 3] [--record-allows] [--profile]
 *
 * `--profile` runs only the gate's small GET, under the V8 CPU profiler, and prints self time per
 * request by module and by function (a tool for finding what to cut, not a measurement).
 */
import { writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { startEphemeralStack } from '../dev/stack.js';
import { printSelfTime, profiled } from './cpuProfile.js';
import { hasWrk, httpLoad, type Load as HttpLoadResult } from './httpLoad.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const seconds = option('seconds', 5);
const concurrency = option('concurrency', 32);
const downloadBytes = Math.round(option('gib', 1) * 1024 * 1024 * 1024);
const pairs = Math.max(1, Math.round(option('pairs', 3)));
const HOST = 'bench.gate.test';
const SECRET = 'bench-gate-gateway-secret-0123456789';

interface Load extends HttpLoadResult {
  /** This process's CPU time per request, in µs (set by {@link load}). */
  readonly cpuMicrosPerRequest?: number;
}

/**
 * Runs the load; also this process's CPU time (user + system, every thread) per request, which a
 * busy neighbour on the shared machine sways far less than requests per second. With wrk the load
 * generator is another process, so that is the server side's cost alone.
 */
async function load(url: string, headers: Record<string, string>, durationMs: number): Promise<Load> {
  const before = process.cpuUsage();
  const result = await httpLoad(url, headers, durationMs, concurrency);
  const used = process.cpuUsage(before);
  return { ...result, cpuMicrosPerRequest: (used.user + used.system) / (result.rps * (durationMs / 1000)) };
}

/** Reads a download to the end, discarding it; seconds taken, bytes read and the peak RSS growth. */
function timedDownload(
  url: string,
  headers: Record<string, string>,
): Promise<{ seconds: number; bytes: number; rssGrowth: number; status: number }> {
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    request(url, { headers, agent: false }, (res: IncomingMessage) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => {
        clearInterval(sampler);
        resolve({
          seconds: (performance.now() - started) / 1000,
          bytes,
          rssGrowth: peak - baseline,
          status: res.statusCode ?? 0,
        });
      });
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const SMALL = Buffer.alloc(1024, 'x');
const chunk = Buffer.alloc(64 * 1024, 7);
const upstream = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://upstream');
  req.resume();
  if (url.pathname === '/download') {
    const total = Number(url.searchParams.get('bytes') ?? '0');
    let sent = 0;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
    new Readable({
      read() {
        if (sent >= total) {
          this.push(null);
          return;
        }
        const size = Math.min(chunk.length, total - sent);
        sent += size;
        this.push(size === chunk.length ? chunk : chunk.subarray(0, size));
      },
    }).pipe(res);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(SMALL.length) });
  res.end(SMALL);
});
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

const stack = await startEphemeralStack('benchgate', {
  CERTGATE_GATEWAY_SECRETS: SECRET,
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(2 * 1024 * 1024 * 1024),
  // The local stack's decision log is Azurite in this same process: recording every allow would
  // measure Azurite. Blocks are still recorded; `--record-allows` measures with them.
  ...(args.includes('--record-allows')
    ? {}
    : { CERTGATE_DECISION_LOG_ALLOWS: 'none', CERTGATE_DECISION_LOG_LINES: 'off' }),
});
try {
  const registered = await fetch(`${stack.hostUrl}/api/manage/apps/bench`, {
    method: 'PUT',
    headers: {
      'content-type': 'application/json',
      'x-functions-key': stack.functionKey,
      authorization: `Bearer ${stack.tokens.adminToken}`,
    },
    body: JSON.stringify({ id: 'bench', name: 'Bench', hosts: [{ host: HOST }], upstream: upstreamUrl }),
  });
  if (registered.status !== 201) throw new Error(`registering the bench app: ${registered.status}`);
  // What the gateway would forward: the certificate, the secret, the host it saw.
  const gateHeaders = {
    'x-client-certificate': encodeURIComponent(stack.pki.users.alice!.certPem),
    'x-certgate-gateway-secret': SECRET,
    'x-forwarded-host': HOST,
  };
  const probe = await fetch(`${stack.hostUrl}/small`, { headers: gateHeaders });
  if (probe.status !== 200 || (await probe.text()) !== SMALL.toString())
    throw new Error(`the gate did not relay the small answer: ${probe.status}`);

  if (args.includes('--profile')) {
    // `--profile-path /api/authorize` profiles the decision alone, for comparison.
    const pathAt = args.indexOf('--profile-path');
    const path = pathAt >= 0 ? (args[pathAt + 1] ?? '/small') : '/small';
    await load(`${stack.hostUrl}${path}`, gateHeaders, 1000);
    const { result, profile } = await profiled(() => load(`${stack.hostUrl}${path}`, gateHeaders, seconds * 1000));
    console.log(`profiled: gate ${result.rps.toFixed(0)} req/s (non-2xx ${result.non2xx})`);
    printSelfTime(profile, Math.round(result.rps * seconds), 'request', 40);
    const saveAt = args.indexOf('--save-profile');
    if (saveAt >= 0) writeFileSync(args[saveAt + 1] ?? 'gate.cpuprofile', JSON.stringify(profile));
    process.exit(0);
  }
  console.log(`load: ${hasWrk ? 'wrk' : 'in-process Node client'}, ${concurrency} connections, ${seconds} s each`);
  await load(`${stack.hostUrl}/small`, gateHeaders, 1000); // warm-up: JIT, CA / verdict / policy caches, sockets
  await load(`${upstreamUrl}/small`, {}, 1000);
  const direct = await load(`${upstreamUrl}/small`, {}, seconds * 1000);
  const gated = await load(`${stack.hostUrl}/small`, gateHeaders, seconds * 1000);
  // The same decision without the proxy hop: how much of the gap is deciding, how much proxying.
  const decided = await load(`${stack.hostUrl}/api/authorize`, gateHeaders, seconds * 1000);
  const cpu = (run: Load) => `${(run.cpuMicrosPerRequest ?? Number.NaN).toFixed(0)} µs`;
  console.log(
    `small GET, CPU of this process per request: gate ${cpu(gated)}, authorize ${cpu(decided)}, direct ${cpu(direct)}${hasWrk ? '' : ' (the in-process client included)'}`,
  );
  console.log(
    `small GET: gate ${gated.rps.toFixed(0)} req/s (non-2xx ${gated.non2xx}), direct ${direct.rps.toFixed(0)} req/s, ratio ${(gated.rps / direct.rps).toFixed(2)} (target >= 0.5); authorize alone ${decided.rps.toFixed(0)} req/s, gate / authorize ${(gated.rps / decided.rps).toFixed(2)}`,
  );

  // Downloads in pairs (direct, then through the gate), each pair's ratio apart: one download on the
  // shared machine swings by 2x, so a single pair says little; the median pair is the figure.
  const mib = downloadBytes / 1024 / 1024;
  const ratios: number[] = [];
  for (let pair = 1; pair <= pairs; pair++) {
    const directDownload = await timedDownload(`${upstreamUrl}/download?bytes=${downloadBytes}`, {});
    const gatedDownload = await timedDownload(`${stack.hostUrl}/download?bytes=${downloadBytes}`, gateHeaders);
    if (gatedDownload.bytes !== downloadBytes || gatedDownload.status !== 200)
      throw new Error(`the gate download came back ${gatedDownload.status} with ${gatedDownload.bytes} bytes`);
    const ratio = directDownload.seconds / gatedDownload.seconds;
    ratios.push(ratio);
    console.log(
      `streaming ${mib.toFixed(0)} MiB, pair ${pair}: gate ${(mib / gatedDownload.seconds).toFixed(0)} MiB/s (RSS +${(gatedDownload.rssGrowth / 1024 / 1024).toFixed(1)} MiB), direct ${(mib / directDownload.seconds).toFixed(0)} MiB/s (RSS +${(directDownload.rssGrowth / 1024 / 1024).toFixed(1)} MiB), ratio ${ratio.toFixed(2)}`,
    );
  }
  const sorted = [...ratios].sort((a, b) => a - b);
  const median =
    sorted.length % 2 === 1
      ? sorted[(sorted.length - 1) / 2]!
      : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  console.log(`streaming: median ratio of ${pairs} pairs ${median.toFixed(2)} (target >= 0.7)`);
} finally {
  await stack.close();
  upstream.close();
}
