/**
 * A worker's copy of the trusted CAs, parsed once into a trust store and re-read from the CA store
 * when older than the refresh interval (one small query per interval, not per request).
 * Concurrent requests share one refresh and a failed refresh keeps the last good copy
 * ({@link PeriodicRefresh}).
 * May import: ports, the cert core.
 */
import { createTrustStore, type TrustStore } from '../cert/validation/index.js';
import type { Clock, TrustedCa, TrustedCaStore } from '../ports.js';
import { PeriodicRefresh, type RefreshOptions, type RefreshStatus } from './periodicRefresh.js';
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
}

/** Serves the current trust anchors to the decision path. */
export class TrustAnchorCache {
  private readonly anchors: PeriodicRefresh<TrustAnchors>;

  constructor(cas: TrustedCaStore, clock: Clock, refreshSeconds: number, options: RefreshOptions = {}) {
    this.anchors = new PeriodicRefresh(
      async (previous) => {
        const enabled = (await cas.list()).filter((ca) => ca.enabled);
        const version = enabled
          .map((ca) => `${ca.thumbprint}:${ca.etag}`)
          .sort()
          .join(',');
        if (previous?.version === version) return previous;
        const store = createTrustStore(enabled.map((ca) => ca.der));
        const crlUrls = new Set([...enabled.flatMap((ca) => ca.crlUrls), ...store.anchors.flatMap(crlUrlsOf)]);
        return {
          store,
          cas: enabled,
          byThumbprint: new Map(enabled.map((ca) => [ca.thumbprint, ca])),
          crlUrls: [...crlUrls],
          version,
        };
      },
      clock,
      refreshSeconds,
      options,
    );
  }

  /** The trust anchors, refreshed when stale; throws only when none could ever be loaded. */
  /** The current value when it needs no loading (see PeriodicRefresh.fresh), else undefined: then {@link get}. */
  fresh(): TrustAnchors | undefined {
    return this.anchors.fresh();
  }

  get(): Promise<TrustAnchors> {
    return this.anchors.get();
  }

  /** The next request re-reads the store (after an admin change in this worker). */
  invalidate(): void {
    this.anchors.invalidate();
  }

  /** Whether anchors are held, since when, and whether re-reading them fails (for health). */
  status(): RefreshStatus {
    return this.anchors.status();
  }
}
