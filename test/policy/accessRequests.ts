/**
 * Access requests for the policy tests: a baseline (browser, outside the corporate network, a
 * signed-in user with known memberships, no device tags) changed by overrides.
 * May import: the policy engine's types.
 */
import type { AccessRequest } from '../../shared/policy/evaluateAccess.js';
import type { DeviceTag } from '../../shared/policy/model.js';

/** A Chrome user agent. */
export const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
/** An Outlook desktop user agent. */
export const OUTLOOK_UA = 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)';

/**
 * Overrides of {@link accessRequest}; `tags` / `unknownTags` / `groups` as arrays for brevity; `user` replaces the
 * built user.
 */
export interface RequestOverrides extends Partial<Omit<AccessRequest, 'deviceTags' | 'unknownDeviceTags'>> {
  readonly tags?: readonly DeviceTag[];
  readonly unknownTags?: readonly DeviceTag[];
  readonly upn?: string;
  readonly groups?: readonly string[];
  readonly groupsUnknown?: boolean;
  /** No signed-in user at all. */
  readonly anonymous?: boolean;
}

/** Builds a request from the baseline and overrides. */
export function accessRequest(overrides: RequestOverrides = {}): AccessRequest {
  const {
    tags = [],
    unknownTags,
    upn = 'alice@contoso.example',
    groups = [],
    groupsUnknown,
    anonymous,
    ...rest
  } = overrides;
  return {
    app: { id: 'contoso-portal', host: 'portal.contoso.example', path: '/' },
    userAgent: CHROME_UA,
    clientIp: '203.0.113.7',
    ...(anonymous
      ? {}
      : {
          user: {
            upn,
            id: '00000000-0000-4000-8000-00000000a11c',
            groups: new Set(groups),
            ...(groupsUnknown === undefined ? {} : { groupsUnknown }),
          },
        }),
    deviceTags: new Set(tags),
    ...(unknownTags ? { unknownDeviceTags: new Set(unknownTags) } : {}),
    ...rest,
  };
}
