/**
 * A worker's copy of the trusted CAs, parsed once into a trust store and re-read from the CA store
 * when older than the refresh interval (one small query per interval, not per request).
 * Concurrent requests share one refresh (single flight). When a refresh fails, the last good copy
 * keeps serving; with no copy at all the caller gets the error and fails closed.
 * May import: ports, the cert core.
 */
import { createTrustStore, type TrustStore } from '../cert/validation/index.js';
import type { Clock, TrustedCa, TrustedCaStore } from '../ports.js';
import { crlUrlsOf } from './revocationPolicy.js';

/** The trust store and the CA records it was built from. */
export interface TrustAnchors {
  readonly store: TrustStore;
  readonly cas: readonly TrustedCa[];
  /** The enabled CAs by SHA-256 thumbprint. */
  readonly byThumbprint: ReadonlyMap<string, TrustedCa>;
  /** CRL URLs to keep fresh: those configured on the CAs and those the CA certificates name. */
  readonly crlUrls: readonly string[];
  /** Changes exactly when a CA is added, removed or edited (thumbprints and ETags). */
  readonly version: string;
  readonly loadedAt: Date;
}

/** Serves the current trust anchors to the decision path. */
export class TrustAnchorCache {
  private current: TrustAnchors | undefined;
  private refreshing: Promise<TrustAnchors> | undefined;

  constructor(
    private readonly cas: TrustedCaStore,
    private readonly clock: Clock,
    private readonly refreshSeconds: number,
  ) {}

  /** The trust anchors, refreshed when stale; throws only when none could ever be loaded. */
  async get(): Promise<TrustAnchors> {
    const now = this.clock.now();
    if (this.current && now.getTime() - this.current.loadedAt.getTime() < this.refreshSeconds * 1000) return this.current;
    try {
      return await this.refresh();
    } catch (error) {
      if (this.current) return this.current;
      throw error;
    }
  }

  /** Drops the copy so the next request re-reads the store (after an admin change in this worker). */
  invalidate(): void {
    this.current = undefined;
  }

  private refresh(): Promise<TrustAnchors> {
    this.refreshing ??= (async () => {
      try {
        const cas = (await this.cas.list()).filter((ca) => ca.enabled);
        const version = cas.map((ca) => `${ca.thumbprint}:${ca.etag}`).sort().join(',');
        if (this.current?.version === version) {
          this.current = { ...this.current, loadedAt: this.clock.now() };
          return this.current;
        }
        const store = createTrustStore(cas.map((ca) => ca.der));
        const crlUrls = new Set([...cas.flatMap((ca) => ca.crlUrls), ...store.anchors.flatMap(crlUrlsOf)]);
        this.current = { store, cas, byThumbprint: new Map(cas.map((ca) => [ca.thumbprint, ca])), crlUrls: [...crlUrls], version, loadedAt: this.clock.now() };
        return this.current;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
