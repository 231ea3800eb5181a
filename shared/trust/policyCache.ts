/**
 * A worker's copy of the access policies, named locations and settings, compiled once for the
 * engine. Every `refreshSeconds` it reads the store's version stamp (one point read); only when
 * the stamp changed does it reload and recompile everything, so a change made on any instance is
 * in force everywhere within `refreshSeconds` (+ the read). A failed reload keeps the last good
 * configuration; with none at all the caller fails closed.
 * May import: ports, the policy core.
 */
import { directoryNeedsOf, type DirectoryNeeds } from '../policy/directoryNeeds.js';
import { compilePolicyConfiguration, type CompiledPolicyConfiguration } from '../policy/evaluateAccess.js';
import { migrateSettingsDocument, validatePolicyConfiguration, type PolicyConfiguration } from '../policy/model.js';
import { StoreError, type Clock, type ConfigKind, type PolicyStore, type StoredDocument } from '../ports.js';
import { PeriodicRefresh, type RefreshOptions, type RefreshStatus } from './periodicRefresh.js';

/** The configuration in force, compiled. */
export interface PolicySnapshot {
  readonly configuration: PolicyConfiguration;
  readonly compiled: CompiledPolicyConfiguration;
  /** What the directory must be asked for this configuration (groups, Graph-backed device tags). */
  readonly needs: DirectoryNeeds;
  readonly documents: readonly StoredDocument[];
  readonly version: string;
}

/**
 * The document kinds kept as lists in the configuration document, and the list each goes in.
 * Import, export and the management API iterate this list: a new kind is one entry here.
 */
export const CONFIG_COLLECTIONS: readonly {
  readonly kind: ConfigKind;
  readonly list: 'apps' | 'policies' | 'sessionPolicies' | 'locations';
}[] = [
  { kind: 'app', list: 'apps' },
  { kind: 'policy', list: 'policies' },
  { kind: 'session-policy', list: 'sessionPolicies' },
  { kind: 'location', list: 'locations' },
];

/** The one settings document: kind `settings`, id `settings`. */
export const SETTINGS_ID = 'settings';

/** The stored documents as one configuration document (what import/export exchange). */
export function configurationDocument(documents: readonly StoredDocument[]): unknown {
  const byKind = (kind: StoredDocument['kind']) =>
    documents
      .filter((d) => d.kind === kind)
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((d) => d.document);
  const lists = Object.fromEntries(CONFIG_COLLECTIONS.map(({ kind, list }) => [list, byKind(kind)]));
  return { schemaVersion: 1, ...lists, settings: migrateSettingsDocument(byKind('settings')[0] ?? {}) };
}

/** Serves the policy configuration to the decision path. */
export class PolicyCache {
  private readonly snapshot: PeriodicRefresh<PolicySnapshot>;

  constructor(store: PolicyStore, clock: Clock, refreshSeconds: number, options: RefreshOptions = {}) {
    this.snapshot = new PeriodicRefresh(
      async (previous) => {
        if (previous?.version === (await store.version())) return previous;
        // One consistent read: the documents of one committed version, and that version.
        const { version, documents } = await store.snapshot();
        const validated = validatePolicyConfiguration(configurationDocument(documents));
        if (!validated.ok) {
          throw new StoreError(
            'unavailable',
            `stored policy configuration is invalid: ${validated.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
          );
        }
        return {
          configuration: validated.value,
          compiled: compilePolicyConfiguration(validated.value),
          needs: directoryNeedsOf(validated.value),
          documents,
          version,
        };
      },
      clock,
      refreshSeconds,
      options,
    );
  }

  /** The configuration in force; throws only when none could ever be loaded. */
  /** The current value when it needs no loading (see PeriodicRefresh.fresh), else undefined: then {@link get}. */
  fresh(): PolicySnapshot | undefined {
    return this.snapshot.fresh();
  }

  get(): Promise<PolicySnapshot> {
    return this.snapshot.get();
  }

  /** The next request re-reads the version stamp (after a change made through this worker). */
  invalidate(): void {
    this.snapshot.invalidate();
  }

  /** Whether a configuration is held, since when, and whether re-reading it fails (for health). */
  status(): RefreshStatus {
    return this.snapshot.status();
  }
}
