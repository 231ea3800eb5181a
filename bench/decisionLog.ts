/**
 * What the decision log's table writes add to the warm path, as a ratio measured in one run: the
 * warm decision (decideAccess on a real HttpRequest: the signed-in shape with the demo policies,
 * certificate verdict and Graph facts cached, every allow recorded) with the Table Storage
 * adapter, against the same with a no-op decision log. Decisions arrive at a steady rate
 * (`--rate` per second, 250 by default, in batches every 10 ms, as requests reach a worker), a rate the writer
 * keeps up with: a writer that falls behind drops entries, and a dropped entry costs less than a
 * written one, so the bench says so when it happened (lower the rate). The measure is this
 * process's CPU time per decision (user + system, every thread: the writer's row building and its
 * HTTP client included; a table round ends once its entries are written), less what idle rounds
 * at the same pace use per millisecond (the in-process stack's own timers) for as long as the round
 * lasted. Rounds
 * alternate (idle, no-op, table, …) so drift hits all three. The table is an Azurite in a child
 * process, as Table Storage is another machine in Azure: its CPU is not ours. Target: ≤ 5 % (docs/decision-log.md).
 *
 *   npx tsx bench/decisionLog.ts [--seconds 2] [--rounds 4] [--rate 250]
 */
import azureFunctions from '@azure/functions';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DEV_APP_AUDIENCE, startEphemeralStack } from '../dev/stack.js';
import { CONTOSO_PORTAL_HOST } from '../dev/demoPolicies.js';
import { AZURITE_ACCOUNT } from '../dev/azurite.js';
import { freeLoopbackPort } from '../dev/listen.js';
import { numberOption } from '../dev/commandLine.js';

const seconds = numberOption('seconds', 2);
const rounds = numberOption('rounds', 4);
const rate = numberOption('rate', 250);
/** Decisions per batch, one batch every 10 ms. */
const batch = Math.max(1, Math.round(rate / 100));

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
  // However this process ends, the table's process ends with it.
  process.once('exit', () => child.kill());
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
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** A round at the steady pace (a batch every 10 ms; no log: idle): this process's CPU µs, the wall ms, the slots. */
  const round = async (decisionLog: { record: (entry: never) => void } | undefined) => {
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    let slots = 0;
    for (let tick = 1; performance.now() - started < seconds * 1000; tick++) {
      if (decisionLog) for (let i = 0; i < batch; i++) await decide(decisionLog);
      slots += batch;
      // The next batch at its time: the writer's flushes, timers and I/O run in between, as between requests.
      await sleep(Math.max(0, started + tick * 10 - performance.now()));
    }
    // The table round's own entries written before its CPU is read, not in the next round.
    if (decisionLog === writer) await writer.flush();
    const cpu = process.cpuUsage(cpuBefore);
    return { cpuMicros: cpu.user + cpu.system, wallMs: performance.now() - started, slots };
  };
  type Round = Awaited<ReturnType<typeof round>>;
  await round(noop);
  await round(writer);
  const before = writer.stats();
  const measured = { idle: [] as Round[], noop: [] as Round[], table: [] as Round[] };
  for (let i = 0; i < rounds; i++) {
    measured.idle.push(await round(undefined));
    measured.noop.push(await round(noop));
    measured.table.push(await round(writer));
  }
  const during = writer.stats();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  // The idle CPU per wall ms (the stack's own timers), taken off each round for as long as it lasted: a table round
  // lasts longer than its pace while the table takes the last writes.
  const idlePerMs = median(measured.idle.map((r) => r.cpuMicros / r.wallMs));
  const perDecision = (r: Round) => (r.cpuMicros - idlePerMs * r.wallMs) / r.slots;
  const noopCost = measured.noop.map(perDecision);
  const tableCost = measured.table.map(perDecision);
  const ratios = tableCost.map((t, i) => t / (noopCost[i] ?? NaN));
  console.log(
    `warm decision (signed in, demo policies, every allow recorded), ${rate} decisions/s, ${rounds} alternating rounds of ${seconds} s:`,
  );
  console.log(`  idle pace               ${idlePerMs.toFixed(1)} µs CPU per ms (median round, subtracted below)`);
  console.log(`  no-op decision log      ${median(noopCost).toFixed(1)} µs CPU per decision (median round)`);
  console.log(
    `  Table Storage adapter   ${median(tableCost).toFixed(1)} µs CPU per decision (median round, flushes included; ` +
      `rounds lasted ${measured.table.map((r) => (r.wallMs / 1000).toFixed(1)).join(' ')} s)`,
  );
  const added = tableCost.map((t, i) => t - (noopCost[i] ?? NaN));
  console.log(
    `  the table's writes add  ${median(added).toFixed(1)} µs CPU per decision (median of rounds; each: ` +
      `${added.map((a) => a.toFixed(0)).join(' ')})`,
  );
  console.log(
    `  ratio table / no-op     ${median(ratios).toFixed(3)} (median of rounds; each: ${ratios.map((r) => r.toFixed(3)).join(' ')}); target ≤ 1.050`,
  );
  const dropped = (stats: typeof before) => stats.dropped.bufferFull + stats.dropped.writeFailed;
  const droppedWhileMeasuring = dropped(during) - dropped(before);
  console.log(
    `  writer while measuring: recorded ${during.recorded - before.recorded}, dropped ${droppedWhileMeasuring}` +
      (droppedWhileMeasuring > 0
        ? ' (the writer fell behind: a dropped entry costs less than a written one, so the ratio reads low; lower --rate)'
        : ''),
  );
  // What is left is written, with a deadline: the figure is measured already, and a slow table must not hold the run.
  const drained = await Promise.race([writer.close().then(() => true), sleep(20_000).then(() => false)]);
  const stats = writer.stats();
  console.log(
    `  writer at the end: recorded ${stats.recorded}, written ${stats.written}, dropped ${dropped(stats)}, ` +
      (drained ? 'drained' : `${stats.buffered} still buffered after 20 s (not waited for)`) +
      (stats.lastError ? `, last error ${stats.lastError.message}` : ''),
  );
} finally {
  await stack.close();
  table.stop();
}
// Nothing left to wait for: a write still in flight to the stopped table must not hold the process.
process.exit(0);
