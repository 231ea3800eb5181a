import { app, type HttpRequest } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFunctionsCore, registeredFunctions } from '../../dev/host/functionsCore.js';
import { compileRouteTemplate, startFunctionsHost, type FunctionsHost } from '../../dev/host/server.js';

let host: FunctionsHost;

beforeAll(async () => {
  installFunctionsCore();
  app.http('echo', {
    methods: ['GET', 'POST'],
    authLevel: 'anonymous',
    route: 'echo/{id}/{*rest}',
    handler: async (request: HttpRequest) => ({
      jsonBody: { params: request.params, query: Object.fromEntries(request.query), body: await request.text(), xff: request.headers.get('x-forwarded-for'), dup: request.headers.get('x-dup') },
    }),
  });
  app.http('keyed', { methods: ['GET'], authLevel: 'function', route: 'keyed', handler: () => ({ status: 204 }) });
  app.http('mastered', { methods: ['GET'], authLevel: 'admin', route: 'mastered', handler: () => ({ status: 204 }) });
  app.http('defaultRoute', { methods: ['GET'], authLevel: 'anonymous', handler: () => ({ body: 'named' }) });
  app.http('boom', { methods: ['GET'], authLevel: 'anonymous', route: 'boom', handler: () => { throw new Error('handler bug'); } });
  host = await startFunctionsHost({ functions: registeredFunctions(), port: 0, functionKeys: ['fkey'], masterKey: 'mkey' });
});
afterAll(async () => {
  await host.close();
});

describe('local Functions host', () => {
  it('registers through the real @azure/functions app.http', () => {
    const echo = registeredFunctions().find((f) => f.name === 'echo');
    expect(echo?.trigger).toMatchObject({ type: 'httpTrigger', route: 'echo/{id}/{*rest}', authLevel: 'anonymous' });
  });

  it('routes templates with parameters and catch-alls, case-insensitively', async () => {
    const res = await fetch(`${host.url}/API/Echo/42/a/b?x=1`, { method: 'POST', body: 'hi', headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ params: { id: '42', rest: 'a/b' }, query: { x: '1' }, body: 'hi' });
    expect(body.xff).toBe('203.0.113.9, 127.0.0.1');
  });

  it('uses the function name when no route is given', async () => {
    expect(await (await fetch(`${host.url}/api/defaultRoute`)).text()).toBe('named');
  });

  it('answers 404 for unknown routes and wrong methods', async () => {
    expect((await fetch(`${host.url}/api/nothing`)).status).toBe(404);
    expect((await fetch(`${host.url}/api/keyed`, { method: 'DELETE' })).status).toBe(404);
  });

  it.each([
    { path: 'keyed', key: undefined, status: 401 },
    { path: 'keyed', key: 'wrong', status: 401 },
    { path: 'keyed', key: 'fkey', status: 204 },
    { path: 'keyed', key: 'mkey', status: 204 },
    { path: 'mastered', key: 'fkey', status: 401 },
    { path: 'mastered', key: 'mkey', status: 204 },
  ])('auth level: $path with key $key → $status', async ({ path, key, status }) => {
    const headerRes = await fetch(`${host.url}/api/${path}`, key ? { headers: { 'x-functions-key': key } } : {});
    expect(headerRes.status).toBe(status);
    const queryRes = await fetch(`${host.url}/api/${path}${key ? `?code=${key}` : ''}`);
    expect(queryRes.status).toBe(status);
  });

  it('turns a throwing handler into a 500 and keeps serving', async () => {
    expect((await fetch(`${host.url}/api/boom`)).status).toBe(500);
    expect((await fetch(`${host.url}/api/defaultRoute`)).status).toBe(200);
  });

  it('refuses routes the real host reserves (admin…)', async () => {
    await expect(
      startFunctionsHost({ functions: [{ name: 'x', trigger: { type: 'httpTrigger', route: 'admin/things' }, handler: () => undefined }], port: 0, functionKeys: [], masterKey: 'm' }),
    ).rejects.toThrow(/admin/);
  });

  it('compiles optional parameters', () => {
    const { pattern, paramNames } = compileRouteTemplate('api', 'items/{id?}');
    expect(paramNames).toEqual(['id']);
    expect(pattern.test('/api/items')).toBe(true);
    expect(pattern.exec('/api/items/7')?.[1]).toBe('7');
  });
});
