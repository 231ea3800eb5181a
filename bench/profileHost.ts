/**
 * Where a request's time goes through the local Functions host (dev/host/server.ts): wrk drives
 * `/api/authorize` (the warm certificate shape of bench/decisionHttp.ts), a bare `@azure/functions`
 * handler through the host, or a bare `node:http` JSON handler (what the host adds to it), in this
 * process. First one unprofiled run gives this process's CPU time per request (steady on a shared
 * machine, wrk being another process), then one run under the V8 CPU profiler prints self time per
 * request by module and by function. The bare handlers get the same request as authorize (the
 * forwarded certificate and the gateway secret); `--bare-headers none` sends them none. Needs wrk
 * (apt-get install wrk). A tool for finding what to cut in the host shim and the request path, not a
 * benchmark.
 *
 *   npx tsx bench/profileHost.ts [--seconds 4] [--target authorize|bare|node] [--bare-headers same|none] [--top 30]
 *                                [--save-profile FILE]
 */
import { app } from '@azure/functions';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { installFunctionsCore } from '../dev/host/functionsCore.js';
import { startEphemeralStack } from '../dev/stack.js';
import { printSelfTime, profiled } from './cpuProfile.js';
import { hasWrk, httpLoad } from './httpLoad.js';
import { forwardedCertificateHeaders } from './forwardedCertificate.js';

const args = process.argv.slice(2);
const at = (name: string) => args.indexOf(`--${name}`);
const text = (name: string, fallback: string) => (at(name) >= 0 ? (args[at(name) + 1] ?? fallback) : fallback);
const seconds = Number(text('seconds', '4'));
const target = text('target', 'authorize');
const top = Number(text('top', '30'));
const bareHeaders = text('bare-headers', 'same');

if (!hasWrk)
  throw new Error('bench/profileHost.ts needs wrk (apt-get install wrk): an in-process client would be profiled too');

installFunctionsCore();
app.http('bench-bare', {
  methods: ['GET'],
  authLevel: 'anonymous',
  route: 'api/bench-bare',
  handler: () => ({ status: 200, jsonBody: { ok: true } }),
});
const stack = await startEphemeralStack(
  'profile',
  // allows not written to Table Storage: the stack's Azurite runs in this process (see decisionHttp.ts)
  { CERTGATE_CONFIG_REFRESH_SECONDS: '30', CERTGATE_DECISION_LOG_ALLOWS: 'none' },
  { demoPolicies: true },
);
try {
  const authorizeHeaders = forwardedCertificateHeaders(stack);
  const headers = target !== 'authorize' && bareHeaders === 'none' ? {} : authorizeHeaders;
  const bareNode = createServer((_req, res) => {
    const body = JSON.stringify({ ok: true });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((resolve) => bareNode.listen(0, '127.0.0.1', resolve));
  bareNode.unref();
  const url =
    target === 'node'
      ? `http://127.0.0.1:${(bareNode.address() as AddressInfo).port}/`
      : `${stack.hostUrl}/api/${target === 'bare' ? 'bench-bare' : 'authorize'}`;
  await httpLoad(url, headers, 1000, 50);
  const before = process.cpuUsage();
  const plain = await httpLoad(url, headers, seconds * 1000, 50);
  const used = process.cpuUsage(before);
  const plainRequests = plain.rps * seconds;
  console.log(
    `${target}${target === 'node' ? '' : ' through the host'}, wrk 50 connections, ${seconds} s, unprofiled: ${plain.rps.toFixed(0)} req/s, ` +
      `${((used.user + used.system) / plainRequests).toFixed(1)} µs CPU of this process per request`,
  );
  const { result, profile } = await profiled(() => httpLoad(url, headers, seconds * 1000, 50));
  console.log(`profiled: ${result.rps.toFixed(0)} req/s (non-2xx ${result.non2xx})`);
  printSelfTime(profile, Math.round(result.rps * seconds), 'request', top);
  if (at('save-profile') >= 0) writeFileSync(text('save-profile', 'host.cpuprofile'), JSON.stringify(profile));
} finally {
  await stack.close();
}
