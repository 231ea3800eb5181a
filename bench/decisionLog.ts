/**
 * What the decision log's table writes add to the warm path, as a ratio measured in one run: the
 * warm decision (decideAccess on a real HttpRequest: the signed-in shape with the demo policies,
 * certificate verdict and Graph facts cached, every allow recorded) with the Table Storage
 * adapter, against the same with a no-op decision log. Rounds alternate (no-op, table, no-op, …)
 * so drift hits both; the table rounds include the writer's flushes (rows built, transactions
 * sent) on the same thread, not only `record()`; the loop yields to timers and I/O every 10 decisions, as
 * requests arriving through a host do. The table is an Azurite in a child process, as
 * Table Storage is another machine in Azure: its CPU is not ours. Target: ≤ 5 % (docs/decision-log.md).
 *
 *   npx tsx bench/decisionLog.ts [--seconds 1.5] [--rounds 6]
 */
import azureFunctions from '@azure/functions';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEV_APP_AUDIENCE, startEphemeralStack } from '../dev/stack.js';
import { CONTOSO_PORTAL_HOST } from '../dev/demoPolicies.js';
import { AZURITE_ACCOUNT } from '../dev/azurite.js';
import { freeLoopbackPort } from '../dev/listen.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const seconds = option('seconds', 1.5);
const rounds = option('rounds', 6);

/** Azurite's table service in its own process. */
async function startTableProcess(): Promise<{ connectionString: string; stop: () => void }> {
  const port = await freeLoopbackPort();
  const bin = fileURLToPath(new URL('../node_modules/.bin/azurite-table', import.meta.url));
  const child = spawn(
    bin,
    [
      '--inMemoryPersistence',
      '--disableTelemetry',
      '--loose',
      '--skipApiVersionCheck',
      '--silent',
      '--tablePort',
      String(port),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('successfully started')) resolve();
    });
  });
  const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT};AccountKey=${key};TableEndpoint=http://127.0.0.1:${port}/${AZURITE_ACCOUNT};`,
    stop: () => child.kill(),
  };
}

const table = await startTableProcess();
const stack = await startEphemeralStack(
  'benchdecisionlog',
  { CERTGATE_CONFIG_REFRESH_SECONDS: '30' },
  { demoPolicies: true },
);
try {
  const { getServices } = await import('../shared/composition.js');
  const { decideAccess } = await import('../shared/access/decideAccess.js');
  const { accessAttemptOf } = await import('../shared/access/requestAttempt.js');
  const { createTableClient } = await import('../shared/adapters/storageClients.js');
  const { TableDecisionLog } = await import('../shared/adapters/tableDecisionLog.js');
  const { HttpRequest } = azureFunctions;
  const services = getServices();
  const storage = { kind: 'connection-string', connectionString: table.connectionString } as const;
  const writer = new TableDecisionLog(
    createTableClient(storage, 'benchDecisions'),
    createTableClient(storage, 'benchDecisionIndex'),
    { allows: { kind: 'all' }, capacity: 10_000, flushMs: 1000 },
  );
  const noop = { record: () => undefined };
  const alerts = { raise: () => undefined };
  const token = await stack.tokens.mint('dave@contoso.example', [], DEV_APP_AUDIENCE);
  const headers: Record<string, string> = {
    'x-client-certificate': encodeURIComponent(stack.pki.users.device!.certPem),
    [stack.config.gateway.secretHeader]: stack.config.gateway.secrets[0]!,
    'x-forwarded-host': CONTOSO_PORTAL_HOST,
    'x-forwarded-for': '127.0.0.1',
    authorization: `Bearer ${token}`,
  };
  let sequence = 0;
  const decide = async (decisionLog: { record: (entry: never) => void }) => {
    const request = new HttpRequest({ method: 'GET', url: `${stack.hostUrl}/api/authorize`, headers });
    const attempt = accessAttemptOf(request, services.config, services.clock.now(), `bench-${sequence++}-decision`);
    return decideAccess(services, attempt, { alerts, decisionLog, error: () => undefined });
  };
  const first = await decide(writer);
  if (first.decision.effect !== 'allow')
    throw new Error(`the bench decision is not an allow: ${first.decision.reasons.join(', ')}`);
  const round = async (decisionLog: { record: (entry: never) => void }) => {
    const until = performance.now() + seconds * 1000;
    const started = performance.now();
    let n = 0;
    while (performance.now() < until) {
      await decide(decisionLog);
      // Requests arrive through I/O in a host: let timers (the writer's flush) and I/O run between them.
      if (++n % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return ((performance.now() - started) * 1000) / n;
  };
  await round(noop);
  await round(writer);
  const perDecision = { noop: [] as number[], table: [] as number[] };
  for (let i = 0; i < rounds; i++) {
    perDecision.noop.push(await round(noop));
    perDecision.table.push(await round(writer));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const ratios = perDecision.table.map((t, i) => t / (perDecision.noop[i] ?? NaN));
  console.log(
    `warm decision (signed in, demo policies, every allow recorded), ${rounds} alternating rounds of ${seconds} s:`,
  );
  console.log(`  no-op decision log      ${median(perDecision.noop).toFixed(1)} µs per decision (median round)`);
  console.log(
    `  Table Storage adapter   ${median(perDecision.table).toFixed(1)} µs per decision (median round, flushes included)`,
  );
  console.log(
    `  ratio table / no-op     ${median(ratios).toFixed(3)} (median of rounds; each: ${ratios.map((r) => r.toFixed(3)).join(' ')}); target ≤ 1.050`,
  );
  await writer.close();
  const stats = writer.stats();
  console.log(
    `  writer: recorded ${stats.recorded}, written ${stats.written}, dropped ${stats.dropped.bufferFull + stats.dropped.writeFailed}${stats.lastError ? `, last error ${stats.lastError.message}` : ''}`,
  );
} finally {
  await stack.close();
  table.stop();
}
