/**
 * The pure reader of Graph change notifications: clientState checked in constant time against
 * every accepted secret, resources placed, membership deltas and nesting, lifecycle events, and
 * bodies that are not notification collections.
 */
import { describe, expect, it } from 'vitest';
import {
  NotificationBodyInvalid,
  clientStateMatches,
  readNotificationBatch,
  resourceOf,
} from '../../shared/events/graphChangeNotifications.js';

const STATES = ['current-client-state-1', 'previous-client-state-0'];
const base = { subscriptionId: 'sub-1', clientState: STATES[0] };

describe('readNotificationBatch', () => {
  it('accepts either client state (rotation) and refuses wrong or missing ones', () => {
    const batch = readNotificationBatch(
      {
        value: [
          { ...base, changeType: 'updated', resource: 'Users/AAA' },
          { ...base, clientState: STATES[1], changeType: 'deleted', resource: 'Users/BBB' },
          { ...base, clientState: 'current-client-state-2', changeType: 'updated', resource: 'Users/CCC' },
          { subscriptionId: 'sub-1', changeType: 'updated', resource: 'Users/DDD' },
        ],
      },
      STATES,
    );
    expect(batch).toMatchObject({ accepted: 2, refused: 2 });
    expect(batch.forget.users).toEqual(['aaa', 'bbb']);
    expect(batch.forget.allMemberships).toBe(false);
  });

  it('a group change forgets the group and every member in its delta; a nested group forgets all memberships', () => {
    const direct = readNotificationBatch(
      {
        value: [
          {
            ...base,
            changeType: 'updated',
            resource: 'Groups/G1',
            resourceData: { id: 'G1', 'members@delta': [{ id: 'U1', '@removed': 'deleted' }, { id: 'U2' }] },
          },
        ],
      },
      STATES,
    );
    expect(direct.forget).toMatchObject({ users: ['u1', 'u2'], groups: ['g1'], allMemberships: false });
    const nested = readNotificationBatch(
      {
        value: [
          {
            ...base,
            changeType: 'updated',
            resource: 'Groups/G1',
            resourceData: { 'members@delta': [{ id: 'G2', '@odata.type': '#Microsoft.Graph.Group' }] },
          },
        ],
      },
      STATES,
    );
    expect(nested.forget.allMemberships).toBe(true);
  });

  it('places resources in the spellings Graph uses, and a change it cannot place forgets all memberships', () => {
    expect(resourceOf('Users/abc')).toEqual({ kind: 'user', id: 'abc' });
    expect(resourceOf("users('ABC')")).toEqual({ kind: 'user', id: 'abc' });
    expect(resourceOf('/groups/G/members')).toEqual({ kind: 'group', id: 'g' });
    expect(resourceOf('devices/D')).toEqual({ kind: 'device', id: 'd' });
    expect(resourceOf('me/messages')).toBeUndefined();
    const unknown = readNotificationBatch({ value: [{ ...base, changeType: 'updated', resource: 'x/y' }] }, STATES);
    expect(unknown.forget.allMemberships).toBe(true);
    const byType = readNotificationBatch(
      { value: [{ ...base, resourceData: { id: 'U9', '@odata.type': '#Microsoft.Graph.User' } }] },
      STATES,
    );
    expect(byType.forget.users).toEqual(['u9']);
  });

  it('lifecycle events are reported; missed forgets everything', () => {
    const batch = readNotificationBatch(
      {
        value: [
          { ...base, lifecycleEvent: 'reauthorizationRequired' },
          { ...base, subscriptionId: 'sub-2', lifecycleEvent: 'missed' },
          { ...base, lifecycleEvent: 'somethingNew' },
        ],
      },
      STATES,
    );
    expect(batch.lifecycle).toEqual([
      { subscriptionId: 'sub-1', event: 'reauthorizationRequired' },
      { subscriptionId: 'sub-2', event: 'missed' },
    ]);
    expect(batch.forget.everything).toBe(true);
  });

  it.each([null, 'text', {}, { value: [] }, { value: [{}] }, { value: 'x' }, { value: [{ subscriptionId: '' }] }])(
    'refuses a body that is not a notification collection: %j',
    (body) => {
      expect(() => readNotificationBatch(body, STATES)).toThrow(NotificationBodyInvalid);
    },
  );

  it('clientStateMatches compares whole values only', () => {
    expect(clientStateMatches('current-client-state-1', STATES)).toBe(true);
    expect(clientStateMatches('current-client-state-', STATES)).toBe(false);
    expect(clientStateMatches('', STATES)).toBe(false);
    expect(clientStateMatches(undefined, STATES)).toBe(false);
    expect(clientStateMatches('anything', [])).toBe(false);
  });
});
