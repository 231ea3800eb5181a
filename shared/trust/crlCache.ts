/**
 * The worker's revocation data: the current CRL of every distribution point certgate knows
 * (configured on a trusted CA, or seen in a certificate), kept fresh off the request path.
 *
 * - `current()` is what the decision path uses: an array that only changes when a CRL does, so a
 *   lookup is a Map get per certificate (O(1)), never I/O.
 * - `refresh()` fetches every due URL (never fetched, older than the refresh interval, or past its
 *   nextUpdate), conditionally (ETag / Last-Modified), parses off the main thread, refuses a CRL
 *   whose cRLNumber went backwards, archives the bytes as the last good copy, and bumps
 *   `generation` so cached verdicts are re-checked. One refresh at a time (single flight).
 * - When a CDP is down or serves garbage, the last good copy stays in use (from memory, or from
 *   the archive after a restart); whether a CRL past its nextUpdate still counts is the
 *   validator's business (its clock skew / grace), not the cache's.
 * - A distribution point certgate cannot fetch (ldap://, file://: AD CS lists LDAP first) is kept
 *   as `skipped` with a note, for the status, and never fetched; an http one beside it is used.
 * - `loadNow()` fetches given URLs at once, bounded by a deadline (a CA was just added, so its
 *   first request does not meet an empty cache), and says per URL whether the CRL loaded;
 *   `awaitFirstFetch()` lets a request wait, briefly and once, for a distribution point this worker
 *   never fetched. Concurrent fetches of one URL are shared, whoever started them; a fetch that
 *   outlives a deadline finishes in the background and its CRL is used from then on.
 * May import: ports, the cert core (types), the CRL parser, the revocation policy's URL rules.
 */
import type { CrlParseFailure, ParsedCrl } from '../cert/revocation/crl.js';
import type { Clock, CrlArchive, CrlFetcher } from '../ports.js';
import { isFetchableCrlUrl, unsupportedCrlUrlNote } from './revocationPolicy.js';

/** Parses CRL bytes (the worker-thread parser in production, `parseCrl` directly in tests). */
export type CrlParse = (bytes: Uint8Array) => Promise<ParsedCrl | CrlParseFailure>;

/** What the cache knows about one distribution point. */
export interface CrlSourceStatus {
  readonly url: string;
  readonly crlNumber?: string;
  readonly thisUpdate?: string;
  readonly nextUpdate?: string;
  readonly entries?: number;
  readonly fetchedAt?: string;
  readonly lastAttemptAt?: string;
  /** Why the last attempt did not produce a new CRL (the last good copy, if any, stays in use). */
  readonly lastError?: string;
  /** Set for a distribution point certgate does not fetch (not http(s)): why. */
  readonly skipped?: string;
}

/** Whether one distribution point's CRL is in use after {@link CrlCache.loadNow}. */
export type CrlLoadOutcome =
  | {
      readonly url: string;
      readonly loaded: true;
      readonly crlNumber?: string;
      readonly thisUpdate: string;
      readonly nextUpdate?: string;
      readonly entries: number;
      readonly warning?: string;
    }
  | { readonly url: string; readonly loaded: false; readonly error: string; readonly skipped?: true };

/** How long callers wait for fetches they need now. */
export interface CrlDeadlines {
  /** `loadNow` from the management API when a CA is added or its CRL URLs change (default 5 s). */
  readonly loadMs: number;
  /** `awaitFirstFetch` on the request path (default 3 s, as the OCSP client's time-out). */
  readonly firstUseMs: number;
}

/** At most this many skipped (non-http) distribution points are remembered for the status. */
const MAX_SKIPPED = 100;

/** What one refresh did. */
export interface CrlRefreshReport {
  readonly checked: number;
  readonly updated: number;
  readonly failed: number;
  readonly sources: readonly CrlSourceStatus[];
}

interface Source {
  crl?: ParsedCrl;
  fetchedAt?: Date;
  etag?: string;
  lastModified?: string;
  lastAttemptAt?: Date;
  lastError?: string;
}

function compareHex(a: string, b: string): number {
  const x = BigInt(`0x${a || '0'}`);
  const y = BigInt(`0x${b || '0'}`);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** CRLs by distribution point URL, refreshed off the request path. */
export class CrlCache {
  private readonly sources = new Map<string, Source>();
  private readonly skipped = new Map<string, string>();
  private readonly inflight = new Map<string, Promise<'updated' | 'unchanged' | 'failed'>>();
  private snapshot: readonly ParsedCrl[] = [];
  private running: Promise<CrlRefreshReport> | undefined;
  private archiveLoaded: Promise<void> | undefined;
  /** Bumped whenever the set of CRLs changes. */
  generation = 0;

  constructor(
    private readonly deps: {
      fetcher: CrlFetcher;
      archive?: CrlArchive;
      parse: CrlParse;
      clock: Clock;
      log?: (event: Record<string, unknown>) => void;
    },
    private readonly refreshSeconds = 300,
    /** Deadlines of {@link loadNow} and {@link awaitFirstFetch} when the caller gives none. */
    readonly deadlines: CrlDeadlines = { loadMs: 5_000, firstUseMs: 3_000 },
  ) {}

  /** The CRLs in use now. */
  current(): readonly ParsedCrl[] {
    return this.snapshot;
  }

  /**
   * Starts tracking URLs; true when a new one is to be fetched. URLs that are not http(s) are
   * noted as skipped (shown by `status()`), never fetched.
   */
  track(urls: readonly string[]): boolean {
    let added = false;
    for (const url of urls) {
      if (this.sources.has(url)) continue;
      if (!isFetchableCrlUrl(url)) {
        if (!this.skipped.has(url) && this.skipped.size < MAX_SKIPPED)
          this.skipped.set(url, unsupportedCrlUrlNote(url));
        continue;
      }
      this.sources.set(url, {});
      added = true;
    }
    return added;
  }

  /**
   * Fetches these URLs now (those without a current CRL, or due), waiting at most `deadlineMs`,
   * and says for each whether its CRL is in use. Never throws; a fetch still running at the
   * deadline carries on, and the background refresh retries a failure.
   */
  async loadNow(urls: readonly string[], options: { deadlineMs?: number } = {}): Promise<CrlLoadOutcome[]> {
    const deadlineMs = options.deadlineMs ?? this.deadlines.loadMs;
    const unique = [...new Set(urls)];
    this.track(unique);
    const now = this.deps.clock.now();
    const fetches = unique.flatMap((url) => {
      const source = this.sources.get(url);
      return source && (!source.crl || this.due(source, now)) ? [this.fetchOnce(url, source)] : [];
    });
    const timedOut = !(await settlesWithin(Promise.allSettled(fetches), deadlineMs));
    return unique.map((url): CrlLoadOutcome => {
      const source = this.sources.get(url);
      if (!source)
        return { url, loaded: false, skipped: true, error: `crl-url-unsupported: ${unsupportedCrlUrlNote(url)}` };
      const crl = source.crl;
      if (crl) {
        return {
          url,
          loaded: true,
          ...(crl.crlNumber !== undefined ? { crlNumber: crl.crlNumber } : {}),
          thisUpdate: crl.thisUpdate.toISOString(),
          ...(crl.nextUpdate ? { nextUpdate: crl.nextUpdate.toISOString() } : {}),
          entries: crl.revoked.size,
          ...(source.lastError ? { warning: `${source.lastError} (the last good copy is in use)` } : {}),
        };
      }
      if (timedOut && this.inflight.has(url)) {
        return {
          url,
          loaded: false,
          error: `crl-fetch-timeout: no answer within ${deadlineMs / 1000} s; the fetch continues and the background refresh retries`,
        };
      }
      return {
        url,
        loaded: false,
        error: `${source.lastError ?? 'crl-fetch-failed: no CRL'}; the background refresh retries`,
      };
    });
  }

  /**
   * For the request path: when some of these URLs were never fetched in this worker (or their
   * first fetch is still running) and have no CRL, waits for them, at most `deadlineMs`. True when
   * the CRLs in use changed meanwhile (validate again). A URL waits at most once: after its first
   * attempt, failed or not, it is the background refresh's.
   */
  async awaitFirstFetch(urls: readonly string[], options: { deadlineMs?: number } = {}): Promise<boolean> {
    this.track(urls);
    const generation = this.generation;
    const first = [...new Set(urls)].flatMap((url) => {
      const source = this.sources.get(url);
      if (!source || source.crl) return [];
      const running = this.inflight.get(url);
      if (running) return [running];
      return source.lastAttemptAt === undefined ? [this.fetchOnce(url, source)] : [];
    });
    if (first.length === 0) return false;
    await settlesWithin(Promise.allSettled(first), options.deadlineMs ?? this.deadlines.firstUseMs);
    return this.generation !== generation;
  }

  /** Whether some URL needs fetching now. */
  isDue(now = this.deps.clock.now()): boolean {
    for (const source of this.sources.values()) if (this.due(source, now)) return true;
    return false;
  }

  private due(source: Source, now: Date): boolean {
    const last = source.lastAttemptAt?.getTime();
    if (last === undefined) return true;
    if (now.getTime() - last >= this.refreshSeconds * 1000) return true;
    const nextUpdate = source.crl?.nextUpdate?.getTime();
    // Past nextUpdate: try again soon, but not on every request (at most every 30 s).
    return nextUpdate !== undefined && now.getTime() > nextUpdate && now.getTime() - last >= 30_000;
  }

  /** Starts a refresh when one is due and none runs; never waits, never throws. */
  refreshInBackground(): void {
    if (this.running || !this.isDue()) return;
    this.refresh().catch((error: unknown) =>
      this.deps.log?.({ event: 'certgate.crl.refresh-failed', error: String(error) }),
    );
  }

  /** Refreshes every due URL (all of them with `force`); concurrent callers share one run. */
  refresh(options: { force?: boolean } = {}): Promise<CrlRefreshReport> {
    this.running ??= this.run(options.force ?? false).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Per-URL state, for health and the management API (skipped distribution points first). */
  status(): CrlSourceStatus[] {
    const skipped = [...this.skipped.entries()].map(([url, note]) => ({ url, skipped: note }));
    return [
      ...skipped,
      ...[...this.sources.entries()].map(([url, source]) => ({
        url,
        ...(source.crl
          ? {
              crlNumber: source.crl.crlNumber,
              thisUpdate: source.crl.thisUpdate.toISOString(),
              nextUpdate: source.crl.nextUpdate?.toISOString(),
              entries: source.crl.revoked.size,
            }
          : {}),
        ...(source.fetchedAt ? { fetchedAt: source.fetchedAt.toISOString() } : {}),
        ...(source.lastAttemptAt ? { lastAttemptAt: source.lastAttemptAt.toISOString() } : {}),
        ...(source.lastError ? { lastError: source.lastError } : {}),
      })),
    ];
  }

  private async loadArchive(): Promise<void> {
    const archive = this.deps.archive;
    if (!archive) return;
    try {
      this.track(await archive.list());
    } catch (error) {
      this.deps.log?.({ event: 'certgate.crl.archive-unavailable', error: String(error) });
    }
  }

  private async run(force: boolean): Promise<CrlRefreshReport> {
    this.archiveLoaded ??= this.loadArchive();
    await this.archiveLoaded;
    const now = this.deps.clock.now();
    let checked = 0;
    let updated = 0;
    let failed = 0;
    for (const [url, source] of this.sources) {
      if (!force && !this.due(source, now)) continue;
      checked++;
      const outcome = await this.fetchOnce(url, source);
      if (outcome === 'updated') updated++;
      if (outcome === 'failed') failed++;
    }
    return { checked, updated, failed, sources: this.status() };
  }

  /**
   * One fetch per URL at a time, shared by the refresh, `loadNow` and `awaitFirstFetch`; publishes a new CRL at once.
   */
  private fetchOnce(url: string, source: Source): Promise<'updated' | 'unchanged' | 'failed'> {
    let running = this.inflight.get(url);
    if (!running) {
      running = this.refreshOne(url, source)
        .catch((error: unknown) => {
          source.lastError = `crl-fetch-failed: ${String(error)}`;
          this.deps.log?.({
            event: 'certgate.crl.fetch-failed',
            url,
            reason: 'crl-fetch-failed',
            detail: String(error),
          });
          return 'failed' as const;
        })
        .then((outcome) => {
          if (outcome === 'updated') this.publish();
          return outcome;
        })
        .finally(() => this.inflight.delete(url));
      this.inflight.set(url, running);
    }
    return running;
  }

  /** Makes the CRLs held now the ones in use, and tells cached verdicts to re-check. */
  private publish(): void {
    this.snapshot = [...this.sources.values()].flatMap((s) => (s.crl ? [s.crl] : []));
    this.generation++;
  }

  private async refreshOne(url: string, source: Source): Promise<'updated' | 'unchanged' | 'failed'> {
    const now = this.deps.clock.now();
    source.lastAttemptAt = now;
    const result = await this.deps.fetcher.fetch(
      url,
      source.crl
        ? {
            ...(source.etag ? { etag: source.etag } : {}),
            ...(source.lastModified ? { lastModified: source.lastModified } : {}),
          }
        : undefined,
    );
    if (result.kind === 'not-modified') {
      source.fetchedAt = now;
      delete source.lastError;
      return 'unchanged';
    }
    if (result.kind === 'failed') {
      source.lastError = `${result.reason}: ${result.detail}`;
      this.deps.log?.({ event: 'certgate.crl.fetch-failed', url, reason: result.reason, detail: result.detail });
      return (await this.useArchived(url, source)) ? 'updated' : 'failed';
    }
    const parsed = await this.deps.parse(result.bytes);
    if ('reason' in parsed) {
      source.lastError = `crl-malformed: ${parsed.detail}`;
      this.deps.log?.({ event: 'certgate.crl.malformed', url, detail: parsed.detail });
      return (await this.useArchived(url, source)) ? 'updated' : 'failed';
    }
    const previous = source.crl;
    if (previous?.crlNumber !== undefined && parsed.crlNumber !== undefined) {
      const order = compareHex(parsed.crlNumber, previous.crlNumber);
      if (order < 0) {
        source.lastError = `crl-number-regressed: got ${parsed.crlNumber} after ${previous.crlNumber}`;
        this.deps.log?.({
          event: 'certgate.crl.number-regressed',
          url,
          got: parsed.crlNumber,
          had: previous.crlNumber,
        });
        return 'failed';
      }
      if (order === 0 && parsed.thisUpdate.getTime() <= previous.thisUpdate.getTime()) {
        source.fetchedAt = now;
        delete source.lastError;
        return 'unchanged';
      }
    }
    source.crl = parsed;
    // The delta CRLs a complete CRL points at (freshestCRL, RFC 5280 §5.2.6) are tracked beside
    // it (a refresh run fetches them in the same pass); validation combines them with this base.
    this.track(parsed.freshestCrlUris);
    source.fetchedAt = now;
    if (result.etag) source.etag = result.etag;
    if (result.lastModified) source.lastModified = result.lastModified;
    delete source.lastError;
    await this.deps.archive
      ?.put({
        url,
        bytes: result.bytes,
        fetchedAt: now.toISOString(),
        ...(result.etag ? { etag: result.etag } : {}),
        ...(result.lastModified ? { lastModified: result.lastModified } : {}),
      })
      .catch((error: unknown) => this.deps.log?.({ event: 'certgate.crl.archive-failed', url, error: String(error) }));
    return 'updated';
  }

  /** After a failed fetch with nothing in memory: the archived last good copy, if any. */
  private async useArchived(url: string, source: Source): Promise<boolean> {
    if (source.crl || !this.deps.archive) return false;
    try {
      const archived = await this.deps.archive.get(url);
      if (!archived) return false;
      const parsed = await this.deps.parse(archived.bytes);
      if ('reason' in parsed) return false;
      source.crl = parsed;
      source.fetchedAt = new Date(archived.fetchedAt);
      this.deps.log?.({ event: 'certgate.crl.using-archived', url, fetchedAt: archived.fetchedAt });
      return true;
    } catch (error) {
      this.deps.log?.({ event: 'certgate.crl.archive-unavailable', url, error: String(error) });
      return false;
    }
  }
}

/** Whether `work` settles within `ms` (it is never cancelled: it carries on either way). */
async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([work.then(() => true), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
