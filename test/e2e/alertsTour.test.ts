/**
 * Alerts on the local stack, end to end: a request blocked by a demo policy with `alert`
 * (block-external-without-certificate) leaves as a CloudEvent through the outbox queue on Azurite, the
 * deliver-alerts queue trigger (polled by the local host's queue listener) posts it signed to the local webhook
 * sink, which accepts only a valid signature; the event arrives (polled, bounded) with the user, app, policy and
 * the block's correlation id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO_PORTAL_HOST } from '../../dev/demoPolicies.js';
import { DEV_APP_AUDIENCE, startEphemeralStack, type Stack } from '../../dev/stack.js';
import { gatewayRequest } from '../../dev/tour.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startEphemeralStack('alertstour', {}, { demoPolicies: true });
}, 120_000);
afterAll(async () => {
  await stack.close();
});

interface SinkReport {
  received: { id: string; event: { type?: string; source?: string; data?: Record<string, unknown> } }[];
  duplicates: number;
  rejected: number;
}

describe('alerts on the local stack', () => {
  it('a blocked request becomes a signed event at the webhook sink, with user, app, policy and correlation id', async () => {
    const token = await stack.tokens.mint('carol@contoso.example', [], DEV_APP_AUDIENCE, []);
    const blocked = await gatewayRequest(stack, '/api/authorize', undefined, {
      host: CONTOSO_PORTAL_HOST,
      authorization: `Bearer ${token}`,
    });
    expect(blocked.status).toBe(403);
    const decision = blocked.body as { correlationId?: string; policyId?: string; reasons?: string[] };
    expect(decision.correlationId).toEqual(expect.any(String));

    let report: SinkReport | undefined;
    let event: SinkReport['received'][number]['event'] | undefined;
    for (let attempt = 0; attempt < 150 && !event; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 200));
      const res = await fetch(`${stack.alertSinkUrl}alerts.json`);
      expect(res.status).toBe(200);
      report = (await res.json()) as SinkReport;
      event = report.received.find(
        (r) => r.event.type === 'certgate.policy.blocked' && r.event.data?.correlationId === decision.correlationId,
      )?.event;
    }
    expect(event).toBeDefined();
    expect(event?.data).toMatchObject({
      user: 'carol@contoso.example',
      policy: 'block-external-without-certificate',
      correlationId: decision.correlationId,
      severity: 'medium',
    });
    expect(event?.data?.app).toEqual(expect.any(String));
    // The sink took it only with a valid signature; nothing was refused or delivered twice.
    expect(report).toMatchObject({ rejected: 0, duplicates: 0 });
  }, 60_000);
});
