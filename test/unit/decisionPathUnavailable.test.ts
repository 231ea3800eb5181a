/**
 * A decision-path trigger whose modules fail to load (a damaged deployment: a chunk missing or
 * throwing while it evaluates) blocks with the 503 `decision-unavailable` any malfunction on that
 * path gets, the same JSON as the decision path's own answer, and logs the failure; it does not
 * throw (the host's bare 500). The load is tried again on the next request, which then decides.
 * Each trigger is imported fresh with one of its decision-path modules made to fail (vi.doMock).
 */
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { installFunctionsCore } from '../../dev/host/functionsCore.js';
import { decisionPathUnavailable } from '../../shared/http/decisionPathUnavailable.js';
import { decisionResponse } from '../../shared/http/responses.js';
import { unavailableDecision } from '../../shared/policy/certificateDecision.js';

type Handler = (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;

beforeAll(() => {
  installFunctionsCore();
});
afterEach(() => {
  vi.doUnmock('../../shared/composition.js');
  vi.resetModules();
});

function invocation(errors: string[]): InvocationContext {
  return new InvocationContext({
    functionName: 'test',
    invocationId: 'invocation-0001',
    logHandler: (level, ...args) => {
      if (level === 'error') errors.push(args.map(String).join(' '));
    },
  });
}

const request = (path: string) =>
  new HttpRequest({
    method: 'GET',
    url: `http://127.0.0.1${path}`,
    headers: { 'x-correlation-id': 'load-failure-0001', accept: 'text/html' },
  });

describe('the answer when the decision path did not load', () => {
  it('is the decision path’s own 503 decision-unavailable answer, failed check code-load', () => {
    const now = new Date('2026-12-03T10:00:00Z');
    const expected = decisionResponse(unavailableDecision('corr-0001', now, 'code-load'));
    const actual = decisionPathUnavailable('corr-0001', now);
    expect(actual.status).toBe(503);
    expect(actual.status).toBe(expected.status);
    expect(actual.headers).toEqual(expected.headers);
    expect(JSON.parse(JSON.stringify(actual.jsonBody))).toEqual(JSON.parse(JSON.stringify(expected.jsonBody)));
  });

  const triggers: { name: string; module: string; exportName: string; path: string }[] = [
    { name: 'authorize', module: '../../functions/authorize.js', exportName: 'authorize', path: '/api/authorize' },
    {
      name: 'forwardAuth',
      module: '../../functions/forwardAuth.js',
      exportName: 'forwardAuth',
      path: '/api/forward-auth/nginx',
    },
    { name: 'gate', module: '../../functions/gate.js', exportName: 'gate', path: '/files/report.xlsx' },
  ];

  it.each(triggers)('$name blocks with 503 decision-unavailable, logs why, and loads again next time', async (t) => {
    let failing = true;
    vi.resetModules();
    vi.doMock('../../shared/composition.js', async (importOriginal) => {
      if (failing) throw new Error('chunk composition-ABC.js: ENOENT');
      return importOriginal();
    });
    const handler = ((await import(t.module)) as Record<string, Handler>)[t.exportName] as Handler;
    const errors: string[] = [];
    const answer = await handler(request(t.path), invocation(errors));
    expect(answer.status).toBe(503);
    expect(answer.jsonBody).toMatchObject({
      decision: 'block',
      reasons: ['decision-unavailable'],
      failedCheck: 'code-load',
      correlationId: 'load-failure-0001',
    });
    expect(errors.join('\n')).toContain(`${t.name}: the decision path did not load`);
    // (vitest words the factory's failure itself; the line carries whatever the import threw)

    // The next request loads it: no longer code-load (here the decision path answers for itself).
    failing = false;
    const next = await handler(request(t.path), invocation([]));
    expect((next.jsonBody as { failedCheck?: string } | undefined)?.failedCheck).not.toBe('code-load');
  });
});
