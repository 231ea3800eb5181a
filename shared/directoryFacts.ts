/**
 * The directory's facts for one decision, read through the {@link DirectoryCache}: the signed-in
 * user's memberships in the groups the policies in force name (from the token's `groups` claim
 * when it carries them, else Graph's checkMemberGroups), and the device tags `compliant` and
 * `hybrid-joined` of the Entra device a valid certificate names. Only what some policy can use
 * is asked. Data Graph could not give is *unknown*, not absent, so the policies' fail mode
 * decides; the trace says where each fact came from (token, cache, Graph, stale, unavailable).
 * Never rejects.
 * May import: the directory cache, identity and policy cores, certificate summaries.
 */
import type { CertificateSummary } from './cert/validation/index.js';
import { deviceIdOf, deviceTagsOf, type CertificateDeviceId, type DeviceIdSource } from './identity/index.js';
import type { DirectoryDevice } from './ports.js';
import type { DirectoryNeeds, DirectoryTrace } from './policy/directoryNeeds.js';
import type { DeviceTag } from './policy/model.js';
import type { DirectoryCache, DirectoryFacts } from './trust/directoryCache.js';

/** What the policies get from the directory for one request. */
export interface RequestDirectoryFacts {
  /** The user's memberships among the groups policies name (undefined: not known). */
  readonly groups?: readonly string[];
  /** True when memberships could not be read: a group not in `groups` may still be one. */
  readonly groupsUnknown: boolean;
  readonly deviceTags: readonly DeviceTag[];
  readonly unknownDeviceTags: readonly DeviceTag[];
  readonly trace: DirectoryTrace;
}

/** Inputs of {@link gatherDirectoryFacts}. */
export interface DirectoryFactsInput {
  readonly needs: DirectoryNeeds;
  /** The user: object id, and groups when a token listed them all. */
  readonly user?: { readonly id?: string; readonly groups?: readonly string[] };
  /** The client certificate, when it is valid (a device is only believed from a valid certificate). */
  readonly validCertificate?: Pick<CertificateSummary, 'subject' | 'subjectAltNames'>;
  readonly deviceIdSources: readonly DeviceIdSource[];
}

type GroupPart = Pick<RequestDirectoryFacts, 'groups' | 'groupsUnknown'> & {
  readonly trace?: DirectoryTrace['groups'];
};
type DevicePart = Pick<RequestDirectoryFacts, 'deviceTags' | 'unknownDeviceTags'> & {
  readonly trace?: DirectoryTrace['device'];
};

// Parts and facts are built as literals, absent fields left out by branching rather than by
// conditional spreads (slow in V8, and this runs per request); the parts of cached answers and the
// facts combining them are built once and shared, frozen (see the memos below).
const NO_TAGS: readonly DeviceTag[] = Object.freeze([]);
const NO_GROUP_PART: GroupPart = Object.freeze({ groupsUnknown: false });
const NO_DEVICE_PART: DevicePart = Object.freeze({ deviceTags: NO_TAGS, unknownDeviceTags: NO_TAGS });

/** The group part without the directory (no user, token groups, nothing to ask), or the question to ask. */
function groupNeed(
  input: DirectoryFactsInput,
): { readonly part: GroupPart } | { readonly userId: string; readonly groupIds: readonly string[] } {
  const { user, needs } = input;
  if (!user) return { part: NO_GROUP_PART };
  if (user.groups) {
    // The token lists every group (Entra leaves the claim out on overage): no Graph call needed.
    if (needs.groupIds.length === 0) return { part: { groups: user.groups, groupsUnknown: false } };
    const wanted = new Set(needs.groupIds);
    const memberOf = user.groups.map((group) => group.toLowerCase()).filter((group) => wanted.has(group));
    return {
      part: {
        groups: user.groups,
        groupsUnknown: false,
        trace: { source: 'token', asked: needs.groupIds.length, memberOf },
      },
    };
  }
  if (needs.groupIds.length === 0) return { part: NO_GROUP_PART };
  if (!user.id)
    return {
      part: {
        groupsUnknown: true,
        trace: {
          source: 'unavailable',
          asked: needs.groupIds.length,
          detail: 'the user has no object id to ask Microsoft Graph about',
        },
      },
    };
  return { userId: user.id, groupIds: needs.groupIds };
}

/**
 * The group part of a fresh cached membership answer, by its member set (the cache hands out the
 * same set while its answers are the same) and the number of groups asked: nothing else goes in.
 */
const cachedGroupParts = new WeakMap<ReadonlySet<string>, { readonly asked: number; readonly part: GroupPart }>();

function groupPartOf(input: DirectoryFactsInput, facts: DirectoryFacts<ReadonlySet<string>>): GroupPart {
  const asked = input.needs.groupIds.length;
  const { source, detail } = facts;
  if (facts.value === undefined)
    return {
      groupsUnknown: true,
      trace: detail !== undefined ? { source, asked, detail } : { source, asked },
    };
  const cacheable = source === 'cache';
  if (cacheable) {
    const known = cachedGroupParts.get(facts.value);
    if (known?.asked === asked) return known.part;
  }
  const memberOf = Object.freeze([...facts.value]);
  const part: GroupPart = {
    groups: memberOf,
    groupsUnknown: false,
    trace: detail !== undefined ? { source, asked, memberOf, detail } : { source, asked, memberOf },
  };
  if (cacheable) cachedGroupParts.set(facts.value, { asked, part: Object.freeze(part) });
  return part;
}

/** The device part without the directory (nothing needed, no device id), or the device to look up. */
function deviceNeed(input: DirectoryFactsInput): { readonly part: DevicePart } | CertificateDeviceId {
  const { needs, validCertificate } = input;
  if (needs.deviceTags.length === 0 || !validCertificate) return { part: NO_DEVICE_PART };
  const found = deviceIdOf(validCertificate, input.deviceIdSources);
  if (found) return found;
  return {
    part: {
      deviceTags: [],
      unknownDeviceTags: [],
      trace: {
        source: 'not-in-certificate',
        detail: 'the certificate carries no Entra device id where CERTGATE_DEVICE_ID_SOURCES looks',
      },
    },
  };
}

/**
 * The device part of a fresh cached device answer, by the device (the cached object) and where
 * the certificate names it (`<deviceId>|<foundIn>`): nothing else goes in.
 */
const cachedDeviceParts = new WeakMap<DirectoryDevice, Map<string, DevicePart>>();
const DEVICE_PARTS_PER_DEVICE = 16;

function devicePartOf(
  input: DirectoryFactsInput,
  found: CertificateDeviceId,
  facts: DirectoryFacts<DirectoryDevice | null>,
): DevicePart {
  const { source, detail } = facts;
  const { deviceId, source: foundIn } = found;
  if (facts.value === undefined)
    return {
      deviceTags: [],
      unknownDeviceTags: input.needs.deviceTags,
      trace: detail !== undefined ? { source, deviceId, foundIn, detail } : { source, deviceId, foundIn },
    };
  if (facts.value === null)
    return {
      deviceTags: [],
      unknownDeviceTags: [],
      trace: { source, deviceId, foundIn, known: false, detail: 'Entra ID has no device with this id' },
    };
  const cacheable = source === 'cache';
  const key = `${deviceId}|${foundIn}`;
  let parts = cacheable ? cachedDeviceParts.get(facts.value) : undefined;
  const known = parts?.get(key);
  if (known) return known;
  const state = deviceTagsOf(facts.value);
  const stale = source === 'stale' && detail ? `; stale: ${detail}` : '';
  // A shared part's tags frozen too: lists and sets built from them are then shared as well.
  const tags = cacheable ? Object.freeze([...state.tags]) : state.tags;
  const part: DevicePart = {
    deviceTags: tags,
    unknownDeviceTags: NO_TAGS,
    trace: { source, deviceId, foundIn, known: true, tags, detail: `${state.detail}${stale}` },
  };
  if (cacheable) {
    if (!parts) cachedDeviceParts.set(facts.value, (parts = new Map<string, DevicePart>()));
    if (parts.size >= DEVICE_PARTS_PER_DEVICE) parts.clear();
    parts.set(key, Object.freeze(part));
  }
  return part;
}

/** Facts combined from two shared parts, by the parts: the same parts give the same (frozen) facts. */
const combinedFacts = new WeakMap<GroupPart, WeakMap<DevicePart, RequestDirectoryFacts>>();

function combined(groups: GroupPart, device: DevicePart): RequestDirectoryFacts {
  const shared = Object.isFrozen(groups) && Object.isFrozen(device);
  let byDevice = shared ? combinedFacts.get(groups) : undefined;
  const known = byDevice?.get(device);
  if (known) return known;
  const trace: DirectoryTrace =
    groups.trace !== undefined
      ? device.trace !== undefined
        ? { groups: groups.trace, device: device.trace }
        : { groups: groups.trace }
      : device.trace !== undefined
        ? { device: device.trace }
        : {};
  const facts: RequestDirectoryFacts =
    groups.groups !== undefined
      ? {
          groups: groups.groups,
          groupsUnknown: groups.groupsUnknown,
          deviceTags: device.deviceTags,
          unknownDeviceTags: device.unknownDeviceTags,
          trace,
        }
      : {
          groupsUnknown: groups.groupsUnknown,
          deviceTags: device.deviceTags,
          unknownDeviceTags: device.unknownDeviceTags,
          trace,
        };
  if (shared) {
    if (!byDevice) combinedFacts.set(groups, (byDevice = new WeakMap()));
    byDevice.set(device, Object.freeze(facts));
  }
  return facts;
}

/**
 * Reads what the policies in force need from the directory, for one request. Answers fresh in the
 * cache are read synchronously (the warm path costs no promise per question); only what is
 * missing or expired is asked, through the cache's single flight, fallbacks and circuit.
 */
export async function gatherDirectoryFacts(
  cache: DirectoryCache,
  input: DirectoryFactsInput,
): Promise<RequestDirectoryFacts> {
  cache.maybeRefreshAhead();
  const groupsNeeded = groupNeed(input);
  const deviceNeeded = deviceNeed(input);
  let groups: GroupPart | Promise<GroupPart>;
  if ('part' in groupsNeeded) groups = groupsNeeded.part;
  else {
    const cached = cache.cachedMemberGroups(groupsNeeded.userId, groupsNeeded.groupIds);
    groups = cached
      ? groupPartOf(input, cached)
      : cache.memberGroups(groupsNeeded.userId, groupsNeeded.groupIds).then((facts) => groupPartOf(input, facts));
  }
  let device: DevicePart | Promise<DevicePart>;
  if ('part' in deviceNeeded) device = deviceNeeded.part;
  else {
    const cached = cache.cachedDevice(deviceNeeded.deviceId);
    device = cached
      ? devicePartOf(input, deviceNeeded, cached)
      : cache.device(deviceNeeded.deviceId).then((facts) => devicePartOf(input, deviceNeeded, facts));
  }
  return combined(await groups, await device);
}
