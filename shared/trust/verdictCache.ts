/**
 * Remembers validation results for certificates seen recently, so a device that calls ten times
 * a second is validated once, not ten times. Keyed by a SHA-256 of the raw leaf and chain bytes;
 * an entry belongs to one version of the trusted CAs and one generation of the revocation data,
 * so an admin change or a CRL refresh re-validates on the next request. A success is kept at most
 * `successSeconds` and never past the earliest notAfter on its path; a failure only
 * `failureSeconds` (a device fixing its certificate should not wait). Bounded LRU.
 * May import: node:crypto, the cert core (types).
 */
import { createHash } from 'node:crypto';
import type { ValidationResult } from '../cert/validation/index.js';

interface Entry {
  readonly result: ValidationResult;
  readonly expiresAt: number;
}

/** Settings of {@link VerdictCache}. */
export interface VerdictCacheOptions {
  readonly maxEntries: number;
  readonly successSeconds: number;
  readonly failureSeconds: number;
}

/**
 * Verdict keys by leaf byte array (identity; the bytes are never mutated after intake), with the chain they were
 * computed for.
 */
const keysByLeaf = new WeakMap<Uint8Array, { readonly chain: readonly Uint8Array[]; readonly key: string }>();

/** Whether two chains hold the same byte arrays, in order (a loop, not a closure: this runs per request). */
function sameArrays(a: readonly Uint8Array[], b: readonly Uint8Array[]): boolean {
  if (a.length !== b.length) return false;
  for (let index = 0; index < a.length; index++) if (a[index] !== b[index]) return false;
  return true;
}

/** A bounded LRU of validation results. */
export class VerdictCache {
  private entries = new Map<string, Entry>();
  private scope = '';

  constructor(
    private readonly options: VerdictCacheOptions = { maxEntries: 10_000, successSeconds: 60, failureSeconds: 5 },
  ) {}

  /** The cache key of a forwarded leaf and chain. */
  static keyOf(leaf: Uint8Array, chain: readonly Uint8Array[]): string {
    // The intake hands out the same (frozen) byte arrays for a repeated header: hash those once.
    const known = keysByLeaf.get(leaf);
    if (known && sameArrays(known.chain, chain)) return known.key;
    const hash = createHash('sha256').update(leaf);
    for (const certificate of chain) hash.update(new Uint8Array([0])).update(certificate);
    const key = hash.digest('base64');
    keysByLeaf.set(leaf, { chain: [...chain], key });
    return key;
  }

  /** The cached result, if it is still good for this scope (CA version + CRL generation) at `now`. */
  get(key: string, scope: string, now: Date): ValidationResult | undefined {
    if (scope !== this.scope) {
      this.entries.clear();
      this.scope = scope;
      return undefined;
    }
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.expiresAt <= now.getTime()) return undefined;
    this.entries.set(key, entry);
    return entry.result;
  }

  /** Stores a result computed at `now` in `scope`. */
  set(key: string, scope: string, now: Date, result: ValidationResult): void {
    if (scope !== this.scope) {
      this.entries.clear();
      this.scope = scope;
    }
    let expiresAt = now.getTime() + (result.ok ? this.options.successSeconds : this.options.failureSeconds) * 1000;
    if (result.ok) {
      for (const certificate of result.path ?? []) expiresAt = Math.min(expiresAt, Date.parse(certificate.notAfter));
    }
    if (expiresAt <= now.getTime()) return;
    this.entries.delete(key);
    this.entries.set(key, { result, expiresAt });
    if (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  /** How many results are held. */
  get size(): number {
    return this.entries.size;
  }
}
