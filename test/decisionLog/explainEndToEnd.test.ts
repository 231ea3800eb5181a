/**
 * End to end through the local mTLS gateway, the local Functions host and Azurite, with the demo
 * policies: a browser blocked at the gateway gets the block page; its reference id is the
 * correlation id that `GET /api/manage/decisions/{id}` and `certgate decisions show` explain
 * (which check failed); `certgate decisions list` finds it; after traffic the report-only demo
 * policy's impact report counts the requests it would have blocked; the impact route leaves
 * `/api/manage/policies/{id}` alone; health shows the writer's counters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTOSO_PORTAL_HOST } from '../../dev/demoPolicies.js';
import { DEV_APP_AUDIENCE, startEphemeralStack, type Stack } from '../../dev/stack.js';
import { gatewayRequest } from '../../dev/tour.js';
import { main } from '../../shared/cli/certgateCommand.js';

const REPORT_ONLY = 'everyone-require-certificate-report-only';

let stack: Stack;
let readerToken: string;

beforeAll(async () => {
  stack = await startEphemeralStack(
    'decisionlogtour',
    { CERTGATE_DECISION_LOG_FLUSH_MS: '100' },
    { demoPolicies: true },
  );
  readerToken = await stack.tokens.mint('reader@contoso.example', ['Certgate.Reader']);
}, 120_000);
afterAll(async () => {
  await stack.close();
});

async function manage(path: string, accept = 'application/json'): Promise<Response> {
  return fetch(`${stack.hostUrl}${path}`, {
    headers: { 'x-functions-key': stack.functionKey, authorization: `Bearer ${readerToken}`, accept },
  });
}

/** Polls until `check` passes: the writer flushes every 100 ms, off the request's path. */
async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  let value = await read();
  for (let attempt = 0; attempt < 100 && !check(value); attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    ['decisions', ...args, '--url', stack.hostUrl, '--key', stack.functionKey, '--token', readerToken],
    { stdout: { write: (text: string) => (out += text) }, stderr: { write: (text: string) => (err += text) } },
  );
  return { code, out, err };
}

describe('a blocked request, looked up by the reference on its block page', () => {
  let reference: string;

  beforeAll(async () => {
    const blocked = await gatewayRequest(stack, '/api/authorize', undefined, { accept: 'text/html' });
    expect(blocked.status).toBe(403);
    const page = String(blocked.body);
    expect(page).toContain('certgate decisions show');
    reference = /quote this reference: <code>([^<]+)<\/code>/.exec(page)?.[1] ?? '';
    expect(reference).not.toBe('');
  });

  it('the API explains it: what was checked, in order, and which check failed', async () => {
    const response = await eventually(
      () => manage(`/api/manage/decisions/${reference}`),
      (r) => r.status === 200,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      decision: { correlationId: string; decision: string; reasons: string[] };
      explanation: {
        steps: { stage: string; check: string; outcome: string; decisive?: boolean }[];
        decisiveStep: number;
        text: string;
      };
    };
    expect(body.decision).toMatchObject({ correlationId: reference, decision: 'block' });
    expect(body.decision.reasons).toContain('client-certificate-required');
    expect(body.explanation.steps[body.explanation.decisiveStep]).toMatchObject({
      stage: 'intake',
      check: 'client certificate',
      outcome: 'fail',
    });
    expect(body.explanation.text).toContain('FAILED HERE');
    const text = await manage(`/api/manage/decisions/${reference}`, 'text/plain');
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await text.text()).toBe(body.explanation.text);
  });

  it('certgate decisions show prints the same explanation; list finds it among the blocks', async () => {
    const shown = await cli(['show', reference]);
    expect(shown).toMatchObject({ code: 0, err: '' });
    expect(shown.out).toContain('What was checked, in order:');
    expect(shown.out).toContain('client certificate: fail  ✗ FAILED HERE');
    const listed = await cli(['list', '--decision', 'block', '--reason', 'client-certificate-required', '--all']);
    expect(listed.code).toBe(0);
    expect(listed.out).toContain(reference);
    const missing = await cli(['show', 'no-such-decision-0000']);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('decision-not-found');
    expect((await cli(['list', '--decision', 'maybe'])).code).toBe(2);
  });
});

describe('the report-only policy after some traffic', () => {
  it("counts what it would have blocked: alice's certificate-less requests the office network allowed", async () => {
    const token = await stack.tokens.mint('alice@contoso.example', [], DEV_APP_AUDIENCE, []);
    for (let i = 0; i < 3; i++) {
      const allowed = await gatewayRequest(
        stack,
        '/api/authorize',
        undefined,
        { host: CONTOSO_PORTAL_HOST, authorization: `Bearer ${token}` },
        '127.0.0.2',
      );
      expect(allowed.status).toBe(200);
    }
    expect((await manage(`/api/manage/policies/${REPORT_ONLY}/impact`)).status).toBe(200);
    const impact = await eventually(
      async () =>
        (await manage(`/api/manage/policies/${REPORT_ONLY}/impact`)).json() as Promise<{
          wouldBlock: { requests: number; users: number };
          topUsers: { user: string; requests: number }[];
          topApps: { app: string }[];
          samples: string[];
          policy: { state: string };
        }>,
      (body) => body.wouldBlock.requests >= 3,
    );
    expect(impact.wouldBlock.requests).toBeGreaterThanOrEqual(3);
    expect(impact.wouldBlock.users).toBeGreaterThanOrEqual(1);
    expect(impact.policy.state).toBe('report-only');
    expect(impact.topUsers.map((u) => u.user)).toContain('alice@contoso.example');
    expect(impact.topApps.map((a) => a.app)).toContain('contoso-portal');
    const sample = await manage(`/api/manage/decisions/${impact.samples[0] ?? ''}`);
    expect(sample.status).toBe(200);
    const shown = await cli(['impact', REPORT_ONLY]);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(/would have blocked\s+\d+ requests/);
  });

  it('the impact route and the policy route each answer their own path', async () => {
    const policy = await manage(`/api/manage/policies/${REPORT_ONLY}`);
    expect(policy.status).toBe(200);
    expect(((await policy.json()) as { id?: string; document?: { id: string } }).document?.id ?? REPORT_ONLY).toBe(
      REPORT_ONLY,
    );
    expect((await manage(`/api/manage/policies/${REPORT_ONLY}/impact?bogus=1`)).status).toBe(400);
  });

  it('health shows the decision log writer: recorded, written, nothing dropped', async () => {
    const health = (await (await fetch(`${stack.hostUrl}/api/health`)).json()) as {
      decisionLog: { recorded: number; written: number; dropped: { bufferFull: number; writeFailed: number } };
    };
    expect(health.decisionLog.recorded).toBeGreaterThan(0);
    expect(health.decisionLog.written).toBeGreaterThan(0);
    expect(health.decisionLog.dropped).toMatchObject({ bufferFull: 0, writeFailed: 0 });
  });
});
