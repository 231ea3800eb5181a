/**
 * Microsoft Graph change notifications, read: what a POST from Graph to the notification URL says,
 * checked and turned into what the directory cache must forget.
 *
 * Graph sends `{ value: [ notification, … ] }`. A change notification names a subscription, the
 * `clientState` certgate chose when it subscribed (a shared secret: a notification without the
 * right one is a forgery and is dropped), the change type and the resource (`Users/{id}`,
 * `Groups/{id}`, `Devices/{id}`), and for groups the membership delta (`members@delta`, each
 * member's id, `@removed` when it left). A lifecycle notification (`lifecycleEvent`:
 * `reauthorizationRequired`, `subscriptionRemoved`, `missed`) asks certgate to renew or
 * re-create the subscription, or says notifications were lost.
 *
 * What is forgotten, by notification (conservative: a forgotten answer is asked again, a kept
 * stale one decides wrongly):
 *   user changed or deleted         → that user's answers (memberships, certificate user ids);
 *   group changed                   → every membership answer that names the group, and every
 *                                     member in the delta (a member may reach policy groups
 *                                     through this group: nesting);
 *   group delta naming a group      → every membership answer (nesting below is unknown);
 *   device changed or deleted       → that device's answer;
 *   lifecycle `missed`              → everything.
 * Pure: no I/O, no clock.
 * May import: zod, node:crypto (constant-time comparison), the directory cache's types, ../errors.js.
 */
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { CertgateError } from '../errors.js';
import type { DirectoryForgetting } from '../trust/directoryCache.js';

/** What a lifecycle notification asks of the subscription's owner. */
export interface LifecycleRequest {
  readonly subscriptionId: string;
  readonly event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';
}

/** One POST from Graph, read. */
export interface NotificationBatch {
  /** Notifications whose clientState matched. */
  readonly accepted: number;
  /** Notifications dropped: wrong or missing clientState (forged, or for a subscription not ours). */
  readonly refused: number;
  readonly forget: DirectoryForgetting;
  readonly lifecycle: readonly LifecycleRequest[];
}

/** Why a body is not a notification collection at all. */
export class NotificationBodyInvalid extends CertgateError {
  readonly code = 'notification-body-invalid';
}

const MemberDeltaSchema = z.looseObject({ id: z.string().min(1), '@removed': z.unknown().optional() });

const NotificationSchema = z.looseObject({
  subscriptionId: z.string().min(1),
  clientState: z.string().optional(),
  changeType: z.string().optional(),
  resource: z.string().optional(),
  lifecycleEvent: z.string().optional(),
  resourceData: z
    .looseObject({
      id: z.string().optional(),
      '@odata.type': z.string().optional(),
      'members@delta': z.array(MemberDeltaSchema).optional(),
    })
    .optional(),
});

const CollectionSchema = z.looseObject({ value: z.array(NotificationSchema).min(1).max(1000) });

type Notification = z.infer<typeof NotificationSchema>;

const LIFECYCLE_EVENTS = new Set<LifecycleRequest['event']>([
  'reauthorizationRequired',
  'subscriptionRemoved',
  'missed',
]);

/** Constant-time check of a notification's clientState against the accepted ones (two during rotation). */
export function clientStateMatches(sent: string | undefined, accepted: readonly string[]): boolean {
  if (sent === undefined) return false;
  const sentBytes = Buffer.from(sent, 'utf8');
  let match = false;
  for (const secret of accepted) {
    const secretBytes = Buffer.from(secret, 'utf8');
    if (secretBytes.length === sentBytes.length && timingSafeEqual(secretBytes, sentBytes)) match = true;
  }
  return match;
}

/** `Users/{id}`, `users('{id}')`, `/groups/{id}/members` … → kind and id (lower-case). */
export function resourceOf(
  resource: string | undefined,
): { kind: 'user' | 'group' | 'device'; id: string } | undefined {
  if (!resource) return undefined;
  const match = /^\/?(users|groups|devices)(?:\/|\(')([^/')]+)/i.exec(resource.trim());
  if (!match) return undefined;
  const [, plural = '', id = ''] = match;
  const kind = plural.toLowerCase();
  return { kind: kind === 'users' ? 'user' : kind === 'groups' ? 'group' : 'device', id: id.toLowerCase() };
}

/** Reads one POST body from Graph. Throws {@link NotificationBodyInvalid} when it is not a notification collection. */
export function readNotificationBatch(body: unknown, clientStates: readonly string[]): NotificationBatch {
  const parsed = CollectionSchema.safeParse(body);
  if (!parsed.success) {
    throw new NotificationBodyInvalid(
      `not a Graph notification collection: ${parsed.error.issues[0]?.path.join('.') || 'body'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  const users = new Set<string>();
  const groups = new Set<string>();
  const devices = new Set<string>();
  const lifecycle: LifecycleRequest[] = [];
  let allMemberships = false;
  let everything = false;
  let accepted = 0;
  let refused = 0;
  for (const notification of parsed.data.value) {
    if (!clientStateMatches(notification.clientState, clientStates)) {
      refused += 1;
      continue;
    }
    accepted += 1;
    const event = notification.lifecycleEvent as LifecycleRequest['event'] | undefined;
    if (event !== undefined) {
      if (LIFECYCLE_EVENTS.has(event)) lifecycle.push({ subscriptionId: notification.subscriptionId, event });
      if (event === 'missed') everything = true;
      continue;
    }
    allMemberships = readChange(notification, { users, groups, devices }) || allMemberships;
  }
  return {
    accepted,
    refused,
    forget: { users: [...users], groups: [...groups], devices: [...devices], allMemberships, everything },
    lifecycle,
  };
}

/** Adds what one change notification makes stale; true when every membership answer must go. */
function readChange(
  notification: Notification,
  into: { users: Set<string>; groups: Set<string>; devices: Set<string> },
): boolean {
  const target = resourceOf(notification.resource) ?? resourceDataTarget(notification);
  if (!target) return true; // a change we cannot place: memberships may be stale
  if (target.kind === 'user') into.users.add(target.id);
  if (target.kind === 'device') into.devices.add(target.id);
  if (target.kind !== 'group') return false;
  into.groups.add(target.id);
  let nestedGroupChanged = false;
  for (const member of notification.resourceData?.['members@delta'] ?? []) {
    into.users.add(member.id.toLowerCase());
    // A member that is itself a group: its members' reach changed, which no id here names.
    const type = (member as Record<string, unknown>)['@odata.type'];
    if (typeof type === 'string' && /group/i.test(type)) nestedGroupChanged = true;
  }
  return nestedGroupChanged;
}

function resourceDataTarget(notification: Notification): { kind: 'user' | 'group' | 'device'; id: string } | undefined {
  const data = notification.resourceData;
  if (!data?.id) return undefined;
  const type = (data['@odata.type'] ?? '').toLowerCase();
  const kind = type.endsWith('.user')
    ? 'user'
    : type.endsWith('.group')
      ? 'group'
      : type.endsWith('.device')
        ? 'device'
        : undefined;
  return kind ? { kind, id: data.id.toLowerCase() } : undefined;
}
