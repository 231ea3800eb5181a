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
 * May import: ports, the cert core (types), the CRL parser.
 */
import type { CrlParseFailure, ParsedCrl } from '../cert/revocation/crl.js';
import type { Clock, CrlArchive, CrlFetcher } from '../ports.js';

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
}

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
  private snapshot: readonly ParsedCrl[] = [];
  private running: Promise<CrlRefreshReport> | undefined;
  private archiveLoaded: Promise<void> | undefined;
  /** Bumped whenever the set of CRLs changes. */
  generation = 0;

  constructor(
    private readonly deps: { fetcher: CrlFetcher; archive?: CrlArchive; parse: CrlParse; clock: Clock; log?: (event: Record<string, unknown>) => void },
    private readonly refreshSeconds = 300,
  ) {}

  /** The CRLs in use now. */
  current(): readonly ParsedCrl[] {
    return this.snapshot;
  }

  /** Starts tracking URLs (http/https only); true when any was new. */
  track(urls: readonly string[]): boolean {
    let added = false;
    for (const url of urls) {
      if (!/^https?:\/\//i.test(url) || this.sources.has(url)) continue;
      this.sources.set(url, {});
      added = true;
    }
    return added;
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
    this.refresh().catch((error: unknown) => this.deps.log?.({ event: 'certgate.crl.refresh-failed', error: String(error) }));
  }

  /** Refreshes every due URL (all of them with `force`); concurrent callers share one run. */
  refresh(options: { force?: boolean } = {}): Promise<CrlRefreshReport> {
    this.running ??= this.run(options.force ?? false).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Per-URL state, for health and the management API. */
  status(): CrlSourceStatus[] {
    return [...this.sources.entries()].map(([url, source]) => ({
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
    }));
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
      const outcome = await this.refreshOne(url, source);
      if (outcome === 'updated') updated++;
      if (outcome === 'failed') failed++;
    }
    if (updated > 0) {
      this.snapshot = [...this.sources.values()].flatMap((s) => (s.crl ? [s.crl] : []));
      this.generation++;
    }
    return { checked, updated, failed, sources: this.status() };
  }

  private async refreshOne(url: string, source: Source): Promise<'updated' | 'unchanged' | 'failed'> {
    const now = this.deps.clock.now();
    source.lastAttemptAt = now;
    const result = await this.deps.fetcher.fetch(url, source.crl ? { ...(source.etag ? { etag: source.etag } : {}), ...(source.lastModified ? { lastModified: source.lastModified } : {}) } : undefined);
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
        this.deps.log?.({ event: 'certgate.crl.number-regressed', url, got: parsed.crlNumber, had: previous.crlNumber });
        return 'failed';
      }
      if (order === 0 && parsed.thisUpdate.getTime() <= previous.thisUpdate.getTime()) {
        source.fetchedAt = now;
        delete source.lastError;
        return 'unchanged';
      }
    }
    source.crl = parsed;
    source.fetchedAt = now;
    if (result.etag) source.etag = result.etag;
    if (result.lastModified) source.lastModified = result.lastModified;
    delete source.lastError;
    await this.deps.archive
      ?.put({ url, bytes: result.bytes, fetchedAt: now.toISOString(), ...(result.etag ? { etag: result.etag } : {}), ...(result.lastModified ? { lastModified: result.lastModified } : {}) })
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
