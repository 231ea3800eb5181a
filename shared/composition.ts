/**
 * The composition root: builds the real adapters once per worker from the config, when the app
 * starts (`functions/appStart.ts`, the Functions `appStart` hook), and hands them to the triggers.
 * The only place that reads `process.env`. Every tunable comes from the config (`config.ts`, with
 * its default and the setting's name); none is a literal here.
 * May import: config, adapters, ports, trust cache.
 */
import { readFileSync } from 'node:fs';
import { loadConfig, type AppConfig } from './config.js';
import { BlobCrlArchive } from './adapters/blobCrlArchive.js';
import { BlobPostureReports } from './adapters/blobPostureReports.js';
import { HttpCrlFetcher } from './adapters/httpCrlFetcher.js';
import { HttpOcspClient } from './adapters/httpOcspClient.js';
import { createTokenVerifier, type TokenVerifier } from './adapters/jwksTokenVerifier.js';
import { buildAlerting, type Alerting } from './adapters/outboxAlertSinkWiring.js';
import { LogLineDecisionLog } from './adapters/logLineDecisionLog.js';
import { TableDecisionLog, withLogLines } from './adapters/tableDecisionLog.js';
import { TableDecisionLogStore } from './adapters/tableDecisionLogStore.js';
import type { DecisionLogStore } from './decisionLog/query.js';
import { createContainerClient, createTableClient, StorageDeadlineError } from './adapters/storageClients.js';
import { TablePolicyStore } from './adapters/tablePolicyStore.js';
import { TableTrustedCaStore } from './adapters/tableTrustedCaStore.js';
import type { PostureReport } from './policy/conditionalAccessPosture.js';
import type {
  AlertSink,
  Clock,
  DecisionLog,
  Directory,
  InvocationScoped,
  LogWriter,
  PolicyStore,
  PostureReportStore,
  TrustedCaStore,
} from './ports.js';
import { CrlCache } from './trust/crlCache.js';
import { DirectoryCache } from './trust/directoryCache.js';
import { CrlParser } from './trust/crlParser.js';
import { OcspCache } from './trust/ocspCache.js';
import { PolicyCache } from './trust/policyCache.js';
import { StorageHealth } from './trust/storageHealth.js';
import { TrustAnchorCache } from './trust/trustAnchorCache.js';
import { VerdictCache } from './trust/verdictCache.js';
import { TableDirectoryChanges } from './adapters/tableDirectoryChanges.js';

/** Everything a trigger needs, built once per worker. */
export interface Services {
  readonly config: AppConfig;
  readonly clock: Clock;
  readonly trustedCas: TrustedCaStore;
  readonly trustAnchors: TrustAnchorCache;
  readonly crls: CrlCache;
  readonly verdicts: VerdictCache;
  readonly ocsp: OcspCache;
  readonly policyStore: PolicyStore;
  readonly policies: PolicyCache;
  /** Checks management API bearer tokens; absent when not configured (function keys only). */
  readonly managementTokens?: TokenVerifier;
  /** Checks users' bearer tokens on authorize; absent when CERTGATE_USER_TOKEN_AUDIENCE is empty. */
  readonly userTokens?: TokenVerifier;
  /** Microsoft Graph; absent when CERTGATE_GRAPH_ENABLED=false. */
  readonly directory?: Directory;
  /** Graph's answers for the decision path: cached, single-flight, stale-if-error, circuit breaker. */
  readonly directoryCache: DirectoryCache;
  /** The latest Conditional Access posture report (Blob Storage). */
  readonly postureReports: PostureReportStore<PostureReport>;
  /** Whether storage answers, probed for `/api/health` at most once per few seconds. */
  readonly storageHealth: StorageHealth;
  /** The decision log; `forInvocation(context)` writes through that invocation's logger. */
  readonly decisionLog: InvocationScoped<DecisionLog>;
  /** The decision log's table writer (buffered, batched): its counters go to health and metrics. */
  readonly decisionLogWriter: TableDecisionLog;
  /** The decision log, queried: lists, explain by correlation id, report-only impact, retention. */
  readonly decisionRecords: DecisionLogStore;
  /** Alerts; `forInvocation(context)` writes through that invocation's logger. */
  readonly alerts: InvocationScoped<AlertSink>;
  /** The alert outbox, its delivery destinations, the expiry watch's records and the outbox backlog. */
  readonly alerting: Alerting;
  /** The directory changes all workers follow (Graph notifications, admin revocations). */
  readonly directoryChanges: TableDirectoryChanges;
}

/** The app's version, from the nearest package.json above this module (source, dist/shared/, a bundle chunk). */
export const VERSION: string = (() => {
  for (const relative of ['../package.json', '../../package.json', '../../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // not at this depth: try the next one
    }
  }
  return 'unknown';
})();

const systemClock: Clock = { now: () => new Date() };

/** Lines written outside any invocation (start-up, background refreshes) go to the console. */
const consoleLines: LogWriter = {
  log: (line) => {
    console.log(line);
  },
  warn: (line) => {
    console.warn(line);
  },
};

/**
 * The Graph adapter, loaded on its first call: the Graph client and its dependencies stay out of
 * the cold start (most decisions of a fresh worker need no directory data yet, or find it cached
 * soon after). A failed load is retried on the next call.
 */
function loadedOnFirstUse(load: () => Promise<Directory>): Directory {
  let loaded: Promise<Directory> | undefined;
  const directory = (): Promise<Directory> =>
    (loaded ??= load().catch((error: unknown) => {
      loaded = undefined;
      throw error;
    }));
  return {
    answer: async (questions, options) => (await directory()).answer(questions, options),
    findGroups: async (ids) => (await directory()).findGroups(ids),
    listConditionalAccessPolicies: async () => (await directory()).listConditionalAccessPolicies(),
  };
}

/** Whether a storage failure is its deadline passing (the account is slow or silent), anywhere in the cause chain. */
function causedByDeadline(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    if (cause instanceof StorageDeadlineError) return true;
  }
  return false;
}

/** Builds the services from settings; throws `ConfigError` naming a bad setting. */
export function buildServices(env: Record<string, string | undefined>, clock: Clock = systemClock): Services {
  const config = loadConfig(env);
  // Two deadlines per storage call: short for what the decision path (and health) reads, longer
  // for the management API. The decision path reads through its own store instances.
  const decision = { deadlineMs: config.storageTimeoutMs.decision };
  const manage = { deadlineMs: config.storageTimeoutMs.manage };
  const tables = (options: { deadlineMs: number }) => ({
    cas: new TableTrustedCaStore(createTableClient(config.storage, `${config.tablePrefix}TrustedCas`, options)),
    policies: new TablePolicyStore(
      createTableClient(config.storage, `${config.tablePrefix}Policies`, options),
      createTableClient(config.storage, `${config.tablePrefix}Audit`, options),
      clock,
    ),
  });
  const { cas: trustedCas, policies: policyStore } = tables(manage);
  const forDecisions = tables(decision);
  const storageHealth = new StorageHealth(() => forDecisions.cas.ping(), clock, {
    classify: (error) => (causedByDeadline(error) ? 'storage-timeout' : 'storage-unreachable'),
    onChange: (report) => {
      consoleLines.warn(JSON.stringify({ event: 'certgate.storage.health', ...report }));
    },
  });
  const parser = new CrlParser();
  const crls = new CrlCache(
    {
      fetcher: new HttpCrlFetcher(config.crlFetch),
      archive: new BlobCrlArchive(
        createContainerClient(config.storage, `${config.tablePrefix.toLowerCase()}-crls`),
        decision,
      ),
      parse: (bytes) => parser.parse(bytes),
      clock,
      log: (event) => {
        consoleLines.warn(JSON.stringify(event));
      },
    },
    config.crlRefreshSeconds,
    config.crlDeadlines,
  );
  const directory = config.graph.enabled
    ? loadedOnFirstUse(async () => (await import('./adapters/graphDirectory.js')).createGraphDirectory(config.graph))
    : undefined;
  const alerting = buildAlerting(config.alerts, config.storage, clock, consoleLines, config.watch);
  const directoryCache = new DirectoryCache(directory, clock, {
    ttlSeconds: config.graph.cacheSeconds,
    negativeTtlSeconds: config.graph.negativeCacheSeconds,
    staleSeconds: config.graph.staleSeconds,
    timeoutMs: config.graph.timeoutMs,
    maxEntries: config.graph.cacheMaxEntries,
    breaker: config.graph.breaker,
    ...(config.graph.refreshAheadSeconds !== undefined
      ? { refreshAheadSeconds: config.graph.refreshAheadSeconds }
      : {}),
    log: (event) => {
      consoleLines.warn(JSON.stringify(event));
      // Graph stopped answering: the one event an operator must hear about (policies follow the fail mode).
      if (event.event === 'certgate.graph.circuit-opened')
        alerting.sink.raise({
          event: 'certgate.alert.graph-degraded',
          detail: `circuit opened after ${String(event.failures)} failures: ${typeof event.detail === 'string' ? event.detail : 'no detail'}`,
        });
    },
  });
  const patience = { patienceMs: config.decisionPathPatienceMs };
  const decisionLogWriter = new TableDecisionLog(
    createTableClient(config.storage, `${config.tablePrefix}Decisions`, manage),
    createTableClient(config.storage, `${config.tablePrefix}DecisionIndex`, manage),
    {
      allows: config.decisionLog.allows,
      capacity: config.decisionLog.buffer,
      flushMs: config.decisionLog.flushMs,
      log: (event) => {
        consoleLines.warn(JSON.stringify(event));
      },
    },
  );
  const tokenVerifiers = config.managementTokens
    ? {
        managementTokens: createTokenVerifier({
          ...config.managementTokens,
          clockToleranceSeconds: config.clockSkewSeconds,
        }),
        ...(config.userTokenAudience.length > 0
          ? {
              userTokens: createTokenVerifier({
                ...config.managementTokens,
                audience: config.userTokenAudience,
                clockToleranceSeconds: config.clockSkewSeconds,
              }),
            }
          : {}),
      }
    : {};
  return {
    config,
    clock,
    trustedCas,
    trustAnchors: new TrustAnchorCache(forDecisions.cas, clock, config.configRefreshSeconds, patience),
    crls,
    verdicts: new VerdictCache(config.verdictCache),
    ocsp: new OcspCache(alerting.responders.wrap(new HttpOcspClient({ timeoutMs: config.ocsp.timeoutMs })), {
      maxEntries: config.ocsp.cacheEntries,
      clockSkewSeconds: config.clockSkewSeconds,
    }),
    policyStore,
    policies: new PolicyCache(forDecisions.policies, clock, config.configRefreshSeconds, patience),
    ...tokenVerifiers,
    ...(directory ? { directory } : {}),
    directoryCache,
    postureReports: new BlobPostureReports(
      createContainerClient(config.storage, `${config.tablePrefix.toLowerCase()}-reports`),
      manage,
    ),
    storageHealth,
    decisionLog: config.decisionLog.logLines
      ? withLogLines(decisionLogWriter, new LogLineDecisionLog(consoleLines))
      : decisionLogWriter,
    decisionLogWriter,
    decisionRecords: new TableDecisionLogStore(
      createTableClient(config.storage, `${config.tablePrefix}Decisions`, manage),
      createTableClient(config.storage, `${config.tablePrefix}DecisionIndex`, manage),
      config.decisionLog.retentionDays,
      () => clock.now(),
    ),
    alerts: alerting.sink,
    alerting,
    directoryChanges: new TableDirectoryChanges(
      createTableClient(config.storage, `${config.tablePrefix}DirectoryChanges`, decision),
      clock,
      {
        pollSeconds: config.graph.enabled ? config.graphNotifications.changesPollSeconds : 0,
        apply: (change) => {
          directoryCache.forget(change);
        },
        log: (event) => {
          consoleLines.warn(JSON.stringify(event));
        },
      },
    ),
  };
}

/** The worker's services once started, or why they could not be. */
let started: { readonly services: Services } | { readonly failure: unknown } | undefined;

/**
 * Builds the worker's services from `process.env`, once: when the app starts (the `appStart`
 * hook), or else on the first call (a host that runs no hooks, tests). A bad setting throws a
 * `ConfigError` naming it; the failure is kept and thrown again on every later call, so a host
 * that still serves answers `config-invalid` (503) without building again per request.
 */
export function startServices(): Services {
  if (started === undefined) {
    try {
      started = { services: buildServices(process.env) };
    } catch (failure) {
      started = { failure };
    }
  }
  if ('failure' in started) throw started.failure;
  return started.services;
}

/**
 * Writes what the worker still holds before it goes (the Functions `appTerminate` hook): the
 * decision log's buffer and the alert sink's buffer. Nothing to do when the services never started.
 * Never rejects: a failure is counted by the writer (health, metrics) and logged by the hook.
 */
export async function stopServices(): Promise<void> {
  if (started === undefined || !('services' in started)) return;
  const { decisionLogWriter, alerting } = started.services;
  await Promise.all([decisionLogWriter.drain(), alerting.outboxSink?.flush()]);
}

/** The worker's services, as built at start-up (see {@link startServices}); throws the start-up failure. */
export function getServices(): Services {
  return started !== undefined && 'services' in started ? started.services : startServices();
}
