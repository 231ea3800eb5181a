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
import { deviceIdOf, deviceTagsOf, type DeviceIdSource } from './identity/index.js';
import type { DirectoryNeeds, DirectoryTrace } from './policy/directoryNeeds.js';
import type { DeviceTag } from './policy/model.js';
import type { DirectoryCache } from './trust/directoryCache.js';

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

async function groupFacts(cache: DirectoryCache, input: DirectoryFactsInput): Promise<Pick<RequestDirectoryFacts, 'groups' | 'groupsUnknown'> & { trace?: DirectoryTrace['groups'] }> {
  const { user, needs } = input;
  if (!user) return { groupsUnknown: false };
  if (user.groups) {
    // The token lists every group (Entra leaves the claim out on overage): no Graph call needed.
    const wanted = new Set(needs.groupIds);
    const memberOf = user.groups.map((group) => group.toLowerCase()).filter((group) => wanted.has(group));
    return { groups: user.groups, groupsUnknown: false, ...(needs.groupIds.length > 0 ? { trace: { source: 'token', asked: needs.groupIds.length, memberOf } } : {}) };
  }
  if (needs.groupIds.length === 0) return { groupsUnknown: false };
  if (!user.id) return { groupsUnknown: true, trace: { source: 'unavailable', asked: needs.groupIds.length, detail: 'the user has no object id to ask Microsoft Graph about' } };
  const facts = await cache.memberGroups(user.id, needs.groupIds);
  if (facts.value === undefined) return { groupsUnknown: true, trace: { source: facts.source, asked: needs.groupIds.length, ...withDetail(facts.detail) } };
  const memberOf = [...facts.value];
  return { groups: memberOf, groupsUnknown: false, trace: { source: facts.source, asked: needs.groupIds.length, memberOf, ...withDetail(facts.detail) } };
}

async function deviceFacts(cache: DirectoryCache, input: DirectoryFactsInput): Promise<Pick<RequestDirectoryFacts, 'deviceTags' | 'unknownDeviceTags'> & { trace?: DirectoryTrace['device'] }> {
  const { needs, validCertificate } = input;
  if (needs.deviceTags.length === 0 || !validCertificate) return { deviceTags: [], unknownDeviceTags: [] };
  const found = deviceIdOf(validCertificate, input.deviceIdSources);
  if (!found) {
    return { deviceTags: [], unknownDeviceTags: [], trace: { source: 'not-in-certificate', detail: 'the certificate carries no Entra device id where CERTGATE_DEVICE_ID_SOURCES looks' } };
  }
  const where = { deviceId: found.deviceId, foundIn: found.source };
  const facts = await cache.device(found.deviceId);
  if (facts.value === undefined) return { deviceTags: [], unknownDeviceTags: needs.deviceTags, trace: { source: facts.source, ...where, ...withDetail(facts.detail) } };
  if (facts.value === null) return { deviceTags: [], unknownDeviceTags: [], trace: { source: facts.source, ...where, known: false, detail: 'Entra ID has no device with this id' } };
  const state = deviceTagsOf(facts.value);
  const stale = facts.source === 'stale' && facts.detail ? `; stale: ${facts.detail}` : '';
  return { deviceTags: state.tags, unknownDeviceTags: [], trace: { source: facts.source, ...where, known: true, tags: state.tags, detail: `${state.detail}${stale}` } };
}

/** Reads what the policies in force need from the directory, for one request. */
export async function gatherDirectoryFacts(cache: DirectoryCache, input: DirectoryFactsInput): Promise<RequestDirectoryFacts> {
  cache.maybeRefreshAhead();
  const [groups, device] = await Promise.all([groupFacts(cache, input), deviceFacts(cache, input)]);
  return {
    ...(groups.groups ? { groups: groups.groups } : {}),
    groupsUnknown: groups.groupsUnknown,
    deviceTags: device.deviceTags,
    unknownDeviceTags: device.unknownDeviceTags,
    trace: { ...(groups.trace ? { groups: groups.trace } : {}), ...(device.trace ? { device: device.trace } : {}) },
  };
}
