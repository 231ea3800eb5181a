/**
 * The `timeWindow` condition end to end: saved through the management API on Azurite (a zone that
 * does not exist is refused, naming the field), and evaluated by what-if at the time asked (the
 * attempt's `now` reaches the policy engine as the request's time).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';

let stack: Stack;
const key = () => ({
  'x-functions-key': 'timewindow-function-key',
  authorization: `Bearer ${stack.tokens.adminToken}`,
});

beforeAll(async () => {
  stack = await startEphemeralStack('timewindow', {
    CERTGATE_GATEWAY_SECRETS: 'time-window-gateway-secret-0123',
    CERTGATE_CONFIG_REFRESH_SECONDS: '0',
  });
}, 120_000);
afterAll(async () => {
  await stack.close();
});

async function manage(method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.hostUrl}/api/manage/${path}`, {
    method,
    headers: { ...key(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

const nights = {
  name: 'No access at night',
  state: 'enabled',
  priority: 10,
  conditions: { timeWindow: { from: '22:00', to: '06:00', timeZone: 'Europe/Berlin' } },
  action: 'block',
};

describe('timeWindow through the management API and what-if', () => {
  it('refuses a time zone that does not exist, naming the field', async () => {
    const bad = await manage('PUT', 'policies/block-at-night', {
      ...nights,
      conditions: { timeWindow: { ...nights.conditions.timeWindow, timeZone: 'Europe/Atlantis' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: {
        code: 'policy-invalid',
        issues: [expect.objectContaining({ path: 'conditions.timeWindow.timeZone', code: 'invalid-value' })],
      },
    });
  });

  it('what-if decides at the time asked, in the zone of the window', async () => {
    expect(
      (await manage('PUT', 'apps/portal', { name: 'Portal', hosts: [{ host: 'portal.contoso.example' }] })).status,
    ).toBe(201);
    expect((await manage('PUT', 'settings', { baseline: 'allow', failMode: 'closed' })).status).toBe(200);
    expect((await manage('PUT', 'policies/block-at-night', nights)).status).toBe(201);
    const request = { clientIp: '203.0.113.5', app: { host: 'portal.contoso.example', path: '/' } };

    const night = await manage('POST', 'whatif', { ...request, time: '2025-06-02T21:30:00Z' });
    expect(night.body).toMatchObject({ effect: 'block', policy: { decidedBy: 'block-at-night' } });
    const nightTrace = (night.body.policy as { policies: { conditions: unknown[] }[] }).policies[0]?.conditions;
    expect(nightTrace).toEqual([
      { condition: 'timeWindow', result: 'match', detail: 'Mon 23:30 in Europe/Berlin is in every day 22:00–06:00' },
    ]);

    const day = await manage('POST', 'whatif', { ...request, time: '2025-06-02T10:00:00Z' });
    expect(day.body).toMatchObject({ effect: 'allow', reasons: expect.arrayContaining(['baseline-allow']) });
    expect(
      (day.body.policy as { policies: { conditions: { result: string }[] }[] }).policies[0]?.conditions[0]?.result,
    ).toBe('no-match');
  });
});
