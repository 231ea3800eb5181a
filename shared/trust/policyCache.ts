/**
 * A worker's copy of the access policies, named locations and settings, compiled once for the
 * engine. Every `refreshSeconds` it reads the store's version stamp (one point read); only when
 * the stamp changed does it reload and recompile everything, so a change made on any instance is
 * in force everywhere within `refreshSeconds` (+ the read). A failed reload keeps the last good
 * configuration; with none at all the caller fails closed.
 * May import: ports, the policy core.
 */
import { compilePolicyConfiguration, type CompiledPolicyConfiguration } from '../policy/evaluateAccess.js';
import { validatePolicyConfiguration, type PolicyConfiguration } from '../policy/model.js';
import { StoreError, type Clock, type PolicyStore, type StoredDocument } from '../ports.js';

/** The configuration in force, compiled. */
export interface PolicySnapshot {
  readonly configuration: PolicyConfiguration;
  readonly compiled: CompiledPolicyConfiguration;
  readonly documents: readonly StoredDocument[];
  readonly version: string;
  readonly checkedAt: Date;
}

/** The stored documents as one configuration document (what import/export exchange). */
export function configurationDocument(documents: readonly StoredDocument[]): unknown {
  const byKind = (kind: StoredDocument['kind']) => documents.filter((d) => d.kind === kind).sort((a, b) => a.id.localeCompare(b.id)).map((d) => d.document);
  return { schemaVersion: 1, policies: byKind('policy'), locations: byKind('location'), settings: byKind('settings')[0] ?? {} };
}

/** Serves the policy configuration to the decision path. */
export class PolicyCache {
  private current: PolicySnapshot | undefined;
  private refreshing: Promise<PolicySnapshot> | undefined;

  constructor(
    private readonly store: PolicyStore,
    private readonly clock: Clock,
    private readonly refreshSeconds: number,
  ) {}

  /** The configuration in force; throws only when none could ever be loaded. */
  async get(): Promise<PolicySnapshot> {
    const now = this.clock.now();
    if (this.current && now.getTime() - this.current.checkedAt.getTime() < this.refreshSeconds * 1000) return this.current;
    try {
      return await this.refresh();
    } catch (error) {
      if (this.current) return this.current;
      throw error;
    }
  }

  /** Forces a re-read on the next `get` (after a change made through this worker). */
  invalidate(): void {
    if (this.current) this.current = { ...this.current, checkedAt: new Date(0) };
  }

  private refresh(): Promise<PolicySnapshot> {
    this.refreshing ??= (async () => {
      try {
        const version = await this.store.version();
        if (this.current?.version === version) {
          this.current = { ...this.current, checkedAt: this.clock.now() };
          return this.current;
        }
        const documents = await this.store.list();
        const validated = validatePolicyConfiguration(configurationDocument(documents));
        if (!validated.ok) {
          throw new StoreError('unavailable', `stored policy configuration is invalid: ${validated.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
        }
        this.current = { configuration: validated.value, compiled: compilePolicyConfiguration(validated.value), documents, version, checkedAt: this.clock.now() };
        return this.current;
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }
}
