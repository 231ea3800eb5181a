/**
 * Microsoft Graph calls per 1,000 decisions. 100 users × 2 devices send decisions for 10 minutes
 * of simulated time, each device about one per second (random arrivals in 250 ms ticks); the
 * policies name two groups and the `compliant` / `hybrid-joined` tags, and the users' tokens carry
 * no groups claim (overage), so every decision needs the user's memberships and the device's
 * state. The real pieces: the production Graph adapter (Graph client, @azure/identity) over https
 * to the local stand-in, which counts round trips, the real DirectoryCache and
 * `gatherDirectoryFacts`; only the clock is simulated. Two runs: a tick's decisions concurrent (their
 * misses share round trips, as concurrent requests do) and one after another (the worst case).
 * Baseline in the same run: the same decisions asking Graph directly (no cache). Then a check that
 * a cache hit makes no network call.
 *
 *   NODE_EXTRA_CA_CERTS=dev/graph/tls/ca.crt npx tsx bench/graphCalls.ts [--minutes 10] [--rate 1]
 */
import { randomUUID } from 'node:crypto';
import { startGraphStandIn, loadDirectoryFile, type DirectoryFile } from '../dev/graph/index.js';
import { createGraphDirectory } from '../shared/adapters/graphDirectory.js';
import { gatherDirectoryFacts, type DirectoryFactsInput } from '../shared/directoryFacts.js';
import { DirectoryCache } from '../shared/trust/directoryCache.js';
import { loadConfig } from '../shared/config.js';
import { numberOption } from '../dev/commandLine.js';

const minutes = numberOption('minutes', 10);
const ratePerDevice = numberOption('rate', 1);
const USERS = 100;
const TICK_MS = 250;

// A directory of 100 users with two devices each; a third of them in Vendors, a fifth in Finance.
const base = await loadDirectoryFile();
const [vendors, finance] = ['vendors', 'finance'].map((name) =>
  base.groups.find((group) => group.displayName.toLowerCase().includes(name)),
);
if (!vendors || !finance) throw new Error('the dev directory has no Vendors / Finance groups');
const users = Array.from({ length: USERS }, (_, index) => ({
  id: randomUUID(),
  userPrincipalName: `user${index}@contoso.example`,
  displayName: `User ${index}`,
  certificateUserIds: [],
}));
const devices = users.flatMap((user, index) =>
  [0, 1].map((n) => ({
    id: randomUUID(),
    deviceId: randomUUID(),
    displayName: `${user.displayName} device ${n}`,
    accountEnabled: true,
    isCompliant: (index + n) % 3 !== 0,
    isManaged: true,
    trustType: n === 0 ? ('ServerAd' as const) : ('AzureAd' as const),
  })),
);
const directoryFile: DirectoryFile = {
  ...base,
  users: [...base.users, ...users],
  groups: base.groups.map((group) =>
    group.id === vendors.id
      ? { ...group, members: [...group.members, ...users.filter((_, i) => i % 3 === 0).map((u) => u.id)] }
      : group.id === finance.id
        ? { ...group, members: [...group.members, ...users.filter((_, i) => i % 5 === 0).map((u) => u.id)] }
        : group,
  ),
  devices: [...base.devices, ...devices],
};

const standIn = await startGraphStandIn({ directory: directoryFile });
Object.assign(process.env, standIn.credentialEnvironment());
const config = loadConfig({
  CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  CERTGATE_GATEWAY_SECRETS: 'bench-gateway-secret-0000',
  CERTGATE_GRAPH_BASE_URL: standIn.url,
});
const directory = createGraphDirectory(config.graph);
const needs = {
  groupIds: [vendors.id, finance.id].map((id) => id.toLowerCase()).sort(),
  deviceTags: ['compliant', 'hybrid-joined'] as const,
};
const inputFor = (device: (typeof devices)[number], userIndex: number): DirectoryFactsInput => ({
  needs: { groupIds: needs.groupIds, deviceTags: [...needs.deviceTags] },
  user: { id: users[userIndex]!.id },
  validCertificate: { subject: `CN=${device.deviceId}, O=Contoso`, subjectAltNames: [] },
  deviceIdSources: config.deviceIdSources,
});

let now = Date.parse('2026-11-22T08:00:00Z');
const clock = { now: () => new Date(now) };

// Deterministic arrivals: each device fires in a tick with probability rate × tick.
let seed = 42;
const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const ticks = (minutes * 60_000) / TICK_MS;
const probability = ratePerDevice * (TICK_MS / 1000);
const arrivals: number[][] = Array.from({ length: ticks }, () =>
  devices.flatMap((_, index) => (random() < probability ? [index] : [])),
);
const decisionsTotal = arrivals.reduce((sum, tick) => sum + tick.length, 0);

/**
 * One simulated run with a fresh cache: the decisions of a tick either all at once (as concurrent
 * requests arrive: their misses share round trips) or one after another (no two misses share one:
 * the worst case).
 */
async function simulate(concurrent: boolean) {
  now = Date.parse('2026-11-22T08:00:00Z');
  const cache = new DirectoryCache(directory, clock, {
    ttlSeconds: config.graph.cacheSeconds,
    negativeTtlSeconds: config.graph.negativeCacheSeconds,
    staleSeconds: config.graph.staleSeconds,
    timeoutMs: config.graph.timeoutMs,
  });
  standIn.reset();
  let unknown = 0;
  const started = performance.now();
  for (const tick of arrivals) {
    const one = (index: number) => gatherDirectoryFacts(cache, inputFor(devices[index]!, Math.floor(index / 2)));
    const facts = concurrent
      ? await Promise.all(tick.map(one))
      : await tick.reduce<Promise<Awaited<ReturnType<typeof one>>[]>>(
          async (done, index) => [...(await done), await one(index)],
          Promise.resolve([]),
        );
    unknown += facts.filter((f) => f.groupsUnknown || f.unknownDeviceTags.length > 0).length;
    now += TICK_MS;
  }
  return { cache, calls: standIn.calls().total, unknown, seconds: (performance.now() - started) / 1000 };
}

const concurrentRun = await simulate(true);
const sequentialRun = await simulate(false);
const cache = concurrentRun.cache;

// Baseline: the same questions without a cache, on a sample of the first minute (every decision = 2 questions).
standIn.reset();
const sample = arrivals
  .slice(0, 60_000 / TICK_MS)
  .flat()
  .slice(0, 500);
for (const index of sample) {
  await directory.answer([
    { kind: 'member-groups', userId: users[Math.floor(index / 2)]!.id, groupIds: needs.groupIds },
  ]);
  await directory.answer([{ kind: 'device', deviceId: devices[index]!.deviceId }]);
}
const uncachedPerDecision = standIn.calls().total / sample.length;

// A cache hit adds no network call.
standIn.reset();
await gatherDirectoryFacts(cache, inputFor(devices[0]!, 0));
const hitCalls = standIn.calls().total;

const stats = concurrentRun.cache.stats();
console.log(
  `Graph calls per 1,000 decisions (${USERS} users × 2 devices, ${minutes} simulated minutes, ~${ratePerDevice}/s per device, ${decisionsTotal} decisions):`,
);
console.log(
  `  with the cache, a tick's requests concurrent   ${((concurrentRun.calls / decisionsTotal) * 1000).toFixed(2)} (${concurrentRun.calls} round trips; ${stats.hits} hits, ${stats.misses} misses, ${stats.questions} questions in ${stats.calls} calls; unknown data ${concurrentRun.unknown}; ${concurrentRun.seconds.toFixed(1)} s real)`,
);
console.log(
  `  with the cache, requests one after another     ${((sequentialRun.calls / decisionsTotal) * 1000).toFixed(2)} (${sequentialRun.calls} round trips; unknown data ${sequentialRun.unknown}; the worst case: no two misses share a round trip)`,
);
console.log(`  without a cache (baseline)                     ${(uncachedPerDecision * 1000).toFixed(0)}`);
console.log(`  target ≤ 5; a cache hit made ${hitCalls} network call(s)`);
await standIn.close();
