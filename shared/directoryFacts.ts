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

const withDetail = (detail: string | undefined) => (detail ? { detail } : {});

type GroupPart = Pick<RequestDirectoryFacts, 'groups' | 'groupsUnknown'> & {
  readonly trace?: DirectoryTrace['groups'];
};
type DevicePart = Pick<RequestDirectoryFacts, 'deviceTags' | 'unknownDeviceTags'> & {
  readonly trace?: DirectoryTrace['device'];
};

/** The group part without the directory (no user, token groups, nothing to ask), or the question to ask. */
function groupNeed(
  input: DirectoryFactsInput,
): { readonly part: GroupPart } | { readonly userId: string; readonly groupIds: readonly string[] } {
  const { user, needs } = input;
  if (!user) return { part: { groupsUnknown: false } };
  if (user.groups) {
    // The token lists every group (Entra leaves the claim out on overage): no Graph call needed.
    const wanted = new Set(needs.groupIds);
    const memberOf = user.groups.map((group) => group.toLowerCase()).filter((group) => wanted.has(group));
    return {
      part: {
        groups: user.groups,
        groupsUnknown: false,
        ...(needs.groupIds.length > 0 ? { trace: { source: 'token', asked: needs.groupIds.length, memberOf } } : {}),
      },
    };
  }
  if (needs.groupIds.length === 0) return { part: { groupsUnknown: false } };
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

function groupPartOf(input: DirectoryFactsInput, facts: DirectoryFacts<ReadonlySet<string>>): GroupPart {
  const asked = input.needs.groupIds.length;
  if (facts.value === undefined)
    return { groupsUnknown: true, trace: { source: facts.source, asked, ...withDetail(facts.detail) } };
  const memberOf = [...facts.value];
  return {
    groups: memberOf,
    groupsUnknown: false,
    trace: { source: facts.source, asked, memberOf, ...withDetail(facts.detail) },
  };
}

/** The device part without the directory (nothing needed, no device id), or the device to look up. */
function deviceNeed(input: DirectoryFactsInput): { readonly part: DevicePart } | CertificateDeviceId {
  const { needs, validCertificate } = input;
  if (needs.deviceTags.length === 0 || !validCertificate) return { part: { deviceTags: [], unknownDeviceTags: [] } };
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

function devicePartOf(
  input: DirectoryFactsInput,
  found: CertificateDeviceId,
  facts: DirectoryFacts<DirectoryDevice | null>,
): DevicePart {
  const where = { deviceId: found.deviceId, foundIn: found.source };
  if (facts.value === undefined)
    return {
      deviceTags: [],
      unknownDeviceTags: input.needs.deviceTags,
      trace: { source: facts.source, ...where, ...withDetail(facts.detail) },
    };
  if (facts.value === null)
    return {
      deviceTags: [],
      unknownDeviceTags: [],
      trace: { source: facts.source, ...where, known: false, detail: 'Entra ID has no device with this id' },
    };
  const state = deviceTagsOf(facts.value);
  const stale = facts.source === 'stale' && facts.detail ? `; stale: ${facts.detail}` : '';
  return {
    deviceTags: state.tags,
    unknownDeviceTags: [],
    trace: { source: facts.source, ...where, known: true, tags: state.tags, detail: `${state.detail}${stale}` },
  };
}

function combined(groups: GroupPart, device: DevicePart): RequestDirectoryFacts {
  return {
    ...(groups.groups ? { groups: groups.groups } : {}),
    groupsUnknown: groups.groupsUnknown,
    deviceTags: device.deviceTags,
    unknownDeviceTags: device.unknownDeviceTags,
    trace: { ...(groups.trace ? { groups: groups.trace } : {}), ...(device.trace ? { device: device.trace } : {}) },
  };
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
