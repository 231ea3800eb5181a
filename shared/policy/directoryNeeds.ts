/**
 * What the directory must be asked for a configuration: the groups that policies in force
 * (access and session policies, enabled or report-only) name, included or excluded, and whether any of them looks at
 * the Graph-backed device tags (`compliant`, `hybrid-joined`). Computed once per configuration, so a
 * request asks Microsoft Graph only what some policy can use. Which condition names groups or
 * tests tags is each condition's own declaration (`groups`, `deviceTags` in `conditions/`).
 * May import: the model, the condition registry.
 */
import { conditionDeviceTags, conditionGroupReferences } from './conditions/index.js';
import type { AccessPolicy, DeviceTag, PolicyConfiguration } from './model.js';

/** The directory data a configuration can use. */
export interface DirectoryNeeds {
  /** Group object ids, lower-case, sorted, unique. */
  readonly groupIds: readonly string[];
  /** The Graph-backed device tags some policy in force mentions. */
  readonly deviceTags: readonly DeviceTag[];
}

const DIRECTORY_DEVICE_TAGS: ReadonlySet<DeviceTag> = new Set<DeviceTag>(['compliant', 'hybrid-joined']);

/** The groups and device tags the policies in force mention. */
export function directoryNeedsOf(configuration: PolicyConfiguration): DirectoryNeeds {
  const groups = new Set<string>();
  const tags = new Set<DeviceTag>();
  for (const policy of [...configuration.policies, ...configuration.sessionPolicies]) {
    if (policy.state === 'disabled') continue;
    for (const reference of conditionGroupReferences(policy.conditions)) groups.add(reference.groupId.toLowerCase());
    for (const tag of conditionDeviceTags(policy.conditions)) if (DIRECTORY_DEVICE_TAGS.has(tag)) tags.add(tag);
  }
  return { groupIds: [...groups].sort(), deviceTags: [...tags].sort() };
}

/** A group id a policy names, and where (`conditions.users.include.groups[0]`, prefixed for a configuration). */
export interface GroupReference {
  readonly groupId: string;
  readonly path: string;
}

/** Every group id the policies name (in any state), with its field path, for checking them against the directory. */
export function groupReferencesOf(
  policies: readonly Pick<AccessPolicy, 'conditions'>[],
  pathOf: (index: number) => string = () => '',
): GroupReference[] {
  const references: GroupReference[] = [];
  policies.forEach((policy, index) => {
    const prefix = pathOf(index);
    for (const { groupId, path } of conditionGroupReferences(policy.conditions))
      references.push({ groupId, path: prefix ? `${prefix}.${path}` : path });
  });
  return references;
}

/**
 * Where a directory fact came from: a fresh cache entry, Graph just now, a stale entry while Graph fails, nowhere, or
 * Graph turned off.
 */
export type DirectorySource = 'cache' | 'directory' | 'stale' | 'unavailable' | 'disabled';

/** Where the directory facts of a decision came from: part of the decision's trace. */
export interface DirectoryTrace {
  readonly groups?: {
    readonly source: DirectorySource | 'token';
    /** How many groups the policies name (the ones asked about). */
    readonly asked: number;
    /** Of those, the ones the user is a member of. */
    readonly memberOf?: readonly string[];
    readonly detail?: string;
  };
  readonly device?: {
    readonly source: DirectorySource | 'not-in-certificate';
    readonly deviceId?: string;
    /** Where the certificate carries the device id. */
    readonly foundIn?: string;
    /** False when Entra ID has no device with this id. */
    readonly known?: boolean;
    readonly tags?: readonly DeviceTag[];
    readonly detail?: string;
  };
}
