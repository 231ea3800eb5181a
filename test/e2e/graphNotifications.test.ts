/**
 * Events in, end to end: the local stack subscribes to the Graph stand-in's change notifications
 * at start-up (the validation handshake goes to the real host over HTTP); removing dave from a
 * group in the stand-in makes Graph notify certgate, and dave's next decision through the TLS
 * gateway changes at once, with the cache TTL an hour. Forged notifications (wrong clientState)
 * are refused and change nothing; a lifecycle `subscriptionRemoved` re-creates the subscription;
 * the admin's `POST /api/manage/revocation/user/{id}` does by hand what a notification does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_APP_AUDIENCE, startEphemeralStack, type Stack } from '../../dev/stack.js';
import { gatewayRequest } from '../../dev/tour.js';

const FINANCE = '2d8e4f60-7a1b-4c3d-8e9f-0a1b2c3d4e5f';
const FINANCE_APPROVERS = 'f9bb1ef4-714c-4bc8-a2b7-7d33d9b6a5f6';
const DAVE = '948626fb-2a5b-5cb8-a1f2-d1c1287e4c79';
let stack: Stack;

const configuration = {
  schemaVersion: 1,
  settings: { baseline: 'allow', failMode: 'closed' },
  locations: [],
  apps: [{ id: 'finance-app', name: 'Finance', hosts: [{ host: 'finance-app.contoso.example' }] }],
  policies: [
    {
      id: 'finance-needs-compliant-device',
      name: 'Finance needs a compliant device',
      state: 'enabled',
      priority: 10,
      conditions: {
        apps: { include: [{ appId: 'finance-app' }] },
        users: { include: { groups: [FINANCE] } },
        deviceTags: { notEquals: ['compliant'] },
      },
      action: 'block',
    },
  ],
};

async function manage(method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.hostUrl}/api/manage/${path}`, {
    method,
    headers: {
      'x-functions-key': stack.functionKey,
      authorization: `Bearer ${stack.tokens.adminToken}`,
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

async function daveDecision(): Promise<number> {
  const token = await stack.tokens.mint('dave@contoso.example', [], DEV_APP_AUDIENCE);
  const result = await gatewayRequest(stack, '/api/authorize', undefined, {
    host: 'finance-app.contoso.example',
    authorization: `Bearer ${token}`,
    accept: 'application/json',
  });
  return result.status;
}

/** Polls until dave's decision is `status` (at most 5 s, the bound); returns how long it took. */
async function daveBecomes(status: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < 5_000) {
    if ((await daveDecision()) === status) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`dave's decision did not become ${status} within 5 s`);
}

function notify(body: unknown) {
  return fetch(`${stack.hostUrl}/api/notifications/graph`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

beforeAll(async () => {
  stack = await startEphemeralStack('graphevents', {
    CERTGATE_CONFIG_REFRESH_SECONDS: '0',
    CERTGATE_GRAPH_CACHE_SECONDS: '3600',
  });
  expect((await manage('POST', 'configuration', configuration)).status).toBe(200);
}, 120_000);
afterAll(async () => {
  await stack.close();
});

describe('Graph change notifications', () => {
  it('the stack subscribed to users and groups at start-up, through the validation handshake', () => {
    const subscriptions = stack.graph.subscriptions.list();
    expect(subscriptions.map((s) => s.resource).sort()).toEqual(['groups', 'users']);
    for (const s of subscriptions) {
      expect(s.notificationUrl).toBe(`${stack.hostUrl}/api/notifications/graph`);
      expect(s.lifecycleNotificationUrl).toBe(s.notificationUrl);
      expect(s.clientState).toBe(stack.config.graphNotifications.clientStates[0]);
    }
  });

  it('answers the validation handshake with the token as text/plain', async () => {
    const res = await fetch(`${stack.hostUrl}/api/notifications/graph?validationToken=${encodeURIComponent('a b+c')}`, {
      method: 'POST',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('a b+c');
  });

  it('removing dave from a nested group of Finance flips his next decision without waiting for the TTL', async () => {
    expect(await daveDecision()).toBe(403); // in Finance through Finance Approvers, no compliant device
    expect(await daveDecision()).toBe(403); // now from the cache (an hour)
    await stack.graph.editMembership({ op: 'remove', groupId: FINANCE_APPROVERS, memberId: DAVE });
    expect(stack.graph.subscriptions.sent.at(-1)!.status).toBe(202);
    await daveBecomes(200);
    await stack.graph.editMembership({ op: 'add', groupId: FINANCE_APPROVERS, memberId: DAVE });
    await daveBecomes(403);
  });

  it('refuses forged notifications (wrong or missing clientState) and forgets nothing', async () => {
    expect(await daveDecision()).toBe(403);
    const [groups] = stack.graph.subscriptions.list().filter((s) => s.resource === 'groups');
    const forged = (clientState?: string) => ({
      value: [
        {
          subscriptionId: groups!.id,
          ...(clientState === undefined ? {} : { clientState }),
          changeType: 'updated',
          resource: `Groups/${FINANCE}`,
          resourceData: { id: FINANCE, 'members@delta': [{ id: DAVE, '@removed': 'deleted' }] },
        },
      ],
    });
    for (const body of [forged('guessed-client-state-value'), forged()]) {
      const res = await notify(body);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('notification-client-state-mismatch');
    }
    for (const body of ['not json', { value: [] }, { value: [{ clientState: 'x' }] }]) {
      const res = await fetch(`${stack.hostUrl}/api/notifications/graph`, {
        method: 'POST',
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('notification-body-invalid');
    }
    const callsBefore = stack.graph.calls().total;
    expect(await daveDecision()).toBe(403);
    expect(stack.graph.calls().total).toBe(callsBefore); // still answered from the cache
  });

  it('a lifecycle subscriptionRemoved re-creates the subscription', async () => {
    const [users] = stack.graph.subscriptions.list().filter((s) => s.resource === 'users');
    stack.graph.subscriptions.remove(users!.id);
    const res = await notify({
      value: [
        {
          subscriptionId: users!.id,
          clientState: stack.config.graphNotifications.clientStates[0],
          lifecycleEvent: 'subscriptionRemoved',
          subscriptionExpirationDateTime: users!.expirationDateTime,
        },
      ],
    });
    expect(res.status).toBe(202);
    const started = Date.now();
    while (stack.graph.subscriptions.list().filter((s) => s.resource === 'users').length === 0) {
      if (Date.now() - started > 10_000) throw new Error('the users subscription was not re-created');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it("the admin's revocation forgets a user when no notification comes", async () => {
    expect(await daveDecision()).toBe(403);
    for (const s of stack.graph.subscriptions.list()) stack.graph.subscriptions.remove(s.id); // Graph silent
    await stack.graph.editMembership({ op: 'remove', groupId: FINANCE_APPROVERS, memberId: DAVE });
    expect(await daveDecision()).toBe(403); // the cached membership still decides
    const revoked = await manage('POST', `revocation/user/${DAVE}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.forgotten).toBeGreaterThan(0);
    expect(await daveDecision()).toBe(200);
    expect((await manage('POST', 'revocation/printer/x')).body).toMatchObject({
      error: { code: 'directory-object-kind-invalid' },
    });
    const created = await manage('POST', 'notifications/subscriptions');
    expect(created.status).toBe(200);
    expect((created.body.created as string[]).length).toBe(2);
  });
});
