import azureFunctions, { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { request as httpRequest } from 'node:http';
import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFunctionsCore, registeredFunctions } from '../../dev/host/functionsCore.js';
import { compileRouteTemplate, startFunctionsHost, type FunctionsHost } from '../../dev/host/server.js';
import { rawApiGet } from '../support/rawHttp.js';

let host: FunctionsHost;

beforeAll(async () => {
  installFunctionsCore();
  app.http('echo', {
    methods: ['GET', 'POST'],
    authLevel: 'anonymous',
    route: 'echo/{id}/{*rest}',
    handler: async (request: HttpRequest) => ({
      jsonBody: {
        params: request.params,
        query: Object.fromEntries(request.query),
        body: await request.text(),
        xff: request.headers.get('x-forwarded-for'),
        dup: request.headers.get('x-dup'),
      },
    }),
  });
  // The same JSON answer as a plain init (the host's fast path) and as an HttpResponse (the library's path).
  const jsonInit = {
    status: 201,
    headers: [
      ['X-Zeta', ' z '],
      ['set-cookie', 'a=1'],
      ['x-alpha', 'a'],
      ['Set-Cookie', 'b=2'],
      ['Cache-Control', 'no-store'],
    ] as [string, string][],
    jsonBody: { text: 'é ✓', list: [1, null], nested: { a: undefined, b: false } },
  };
  app.http('plainJson', { methods: ['GET'], authLevel: 'anonymous', route: 'plain-json', handler: () => jsonInit });
  app.http('libraryJson', {
    methods: ['GET'],
    authLevel: 'anonymous',
    route: 'library-json',
    handler: () => new azureFunctions.HttpResponse(jsonInit),
  });
  // Header objects: lower-case names and values kept as given (written without building Headers), and
  // names to lower-case, values to trim, Latin-1 bytes (through Headers): each as the library writes it.
  const objectInits: Record<string, HttpResponseInit> = {
    kept: {
      status: 403,
      headers: { 'x-correlation-id': 'abc-1', 'cache-control': 'no-store', 'x-empty': '' },
      jsonBody: { decision: 'block', reasons: ['a', 'b'], detail: 'é ✓' },
    },
    typed: { headers: { 'content-type': 'application/problem+json', 'a-first': 'x' }, jsonBody: [1, 2] },
    normalised: {
      headers: {
        'X-Upper': 'v',
        'x-padded': '  spaced\t',
        'x-latin1': 'caf\u00e9',
        'x-number': 7 as unknown as string,
      },
      jsonBody: { ok: true },
    },
  };
  for (const [name, init] of Object.entries(objectInits)) {
    app.http(`plain-${name}`, {
      methods: ['GET'],
      authLevel: 'anonymous',
      route: `plain-${name}`,
      handler: () => init,
    });
    app.http(`library-${name}`, {
      methods: ['GET'],
      authLevel: 'anonymous',
      route: `library-${name}`,
      handler: () => new azureFunctions.HttpResponse(init),
    });
  }
  app.http('queryEcho', {
    methods: ['GET', 'POST'],
    authLevel: 'anonymous',
    route: 'query-echo/{id}',
    handler: async (request: HttpRequest) => ({
      jsonBody: {
        x: request.query.getAll('x'),
        url: request.url,
        method: request.method,
        id: request.params.id,
        body: await request.text(),
        xff: request.headers.get('x-forwarded-for'),
      },
    }),
  });
  app.http('keyed', { methods: ['GET'], authLevel: 'function', route: 'keyed', handler: () => ({ status: 204 }) });
  app.http('mastered', { methods: ['GET'], authLevel: 'admin', route: 'mastered', handler: () => ({ status: 204 }) });
  app.http('defaultRoute', { methods: ['GET'], authLevel: 'anonymous', handler: () => ({ body: 'named' }) });
  app.http('boom', {
    methods: ['GET'],
    authLevel: 'anonymous',
    route: 'boom',
    handler: () => {
      throw new Error('handler bug');
    },
  });
  host = await startFunctionsHost({
    functions: registeredFunctions(),
    port: 0,
    functionKeys: ['fkey'],
    masterKey: 'mkey',
  });
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
    const res = await fetch(`${host.url}/API/Echo/42/a/b?x=1`, {
      method: 'POST',
      body: 'hi',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ params: { id: '42', rest: 'a/b' }, query: { x: '1' }, body: 'hi' });
    expect(body.xff).toBe('203.0.113.9, 127.0.0.1');
  });

  it('uses the function name when no route is given', async () => {
    expect(await (await fetch(`${host.url}/api/defaultRoute`)).text()).toBe('named');
  });

  it('a plain JSON result is written exactly as the HttpResponse the library builds from it', async () => {
    const read = (path: string) =>
      new Promise<{ status: number; headers: string[]; body: Buffer }>((resolve, reject) => {
        httpRequest(`${host.url}/api/${path}`, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const headers = res.rawHeaders;
            const kept: string[] = [];
            for (let i = 0; i < headers.length; i += 2)
              if (!/^(date|connection|keep-alive)$/i.test(headers[i]!)) kept.push(`${headers[i]}: ${headers[i + 1]}`);
            resolve({ status: res.statusCode ?? 0, headers: kept, body: Buffer.concat(chunks) });
          });
        })
          .on('error', reject)
          .end();
      });
    const plain = await read('plain-json');
    const library = await read('library-json');
    expect(plain).toEqual(library);
    expect(plain.status).toBe(201);
    expect(plain.headers).toContain('content-type: application/json');
    expect(plain.headers).toContain('x-zeta: z');
    expect(plain.headers.filter((line) => line.startsWith('set-cookie'))).toEqual([
      'set-cookie: a=1',
      'set-cookie: b=2',
    ]);
  });

  it('a plain JSON result with a header object is written byte for byte as the HttpResponse built from it', async () => {
    const raw = (path: string) => rawApiGet(Number(new URL(host.url).port), path);
    for (const name of ['kept', 'typed', 'normalised']) {
      const plain = await raw(`plain-${name}`);
      expect(plain, name).toBe(await raw(`library-${name}`));
      expect(plain, name).toMatch(/^HTTP\/1\.1 (200|403) /);
    }
    expect(await raw('plain-kept')).toContain('x-correlation-id: abc-1\r\n');
    expect(await raw('plain-normalised')).toContain(
      'x-latin1: caf\u00e9\r\nx-number: 7\r\nx-padded: spaced\r\nx-upper: v\r\n',
    );
  });

  it('repeated request headers reach the function joined with ", " in order', async () => {
    const port = new URL(host.url).port;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = netConnect(Number(port), '127.0.0.1', () => {
        socket.end(
          `GET /api/echo/1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Dup: one\r\nx-other: o\r\nx-DUP: two\r\n` +
            `Connection: close\r\n\r\n`,
        );
      });
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      socket.on('end', () => {
        resolve(text);
      });
      socket.on('error', reject);
    });
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(body.dup).toBe('one, two');
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
      startFunctionsHost({
        functions: [{ name: 'x', trigger: { type: 'httpTrigger', route: 'admin/things' }, handler: () => undefined }],
        port: 0,
        functionKeys: [],
        masterKey: 'm',
      }),
    ).rejects.toThrow(/admin/);
  });

  it('with HTTP streams, the request is built as the worker builds it: the query read from the URL', async () => {
    const streaming = await startFunctionsHost({
      functions: registeredFunctions(),
      port: 0,
      functionKeys: [],
      masterKey: 'm',
      httpStream: true,
    });
    try {
      for (const method of ['GET', 'POST']) {
        const res = await fetch(`${streaming.url}/api/query-echo/7?x=1&x=2`, {
          method,
          ...(method === 'POST' ? { body: 'streamed' } : {}),
        });
        expect(await res.json(), method).toEqual({
          x: ['1', '2'],
          url: `${streaming.url}/api/query-echo/7?x=1&x=2`,
          method,
          id: '7',
          body: method === 'POST' ? 'streamed' : '',
          xff: '127.0.0.1',
        });
      }
    } finally {
      await streaming.close();
    }
    // Without streams the query comes from the host's map (one value a name), as the RPC request carries it.
    const mapped = (await (await fetch(`${host.url}/api/query-echo/7?x=1&x=2`)).json()) as { x: string[] };
    expect(mapped.x).toEqual(['2']);
  });

  it('compiles optional parameters', () => {
    const { pattern, paramNames } = compileRouteTemplate('api', 'items/{id?}');
    expect(paramNames).toEqual(['id']);
    expect(pattern.test('/api/items')).toBe(true);
    expect(pattern.exec('/api/items/7')?.[1]).toBe('7');
  });
});

describe('local Functions host, malformed input (answered, never a crash)', () => {
  /** Sends through node:http, which lets a test set Host and an absolute-form path. */
  function nodeRequest(
    path: string,
    init: { method?: string; headers?: Record<string, string> } = {},
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: host.port,
          path,
          method: init.method ?? 'GET',
          headers: init.headers ?? {},
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
          });
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  /** Writes raw bytes on a TCP connection and reads until the host closes it. */
  function raw(bytes: string, halfClose = false): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: '127.0.0.1', port: host.port }, () => {
        socket.write(bytes, 'latin1');
        if (halfClose) socket.end();
      });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', reject);
      socket.on('close', () => {
        resolve(Buffer.concat(chunks).toString('latin1'));
      });
    });
  }

  it.each(['%ZZ', '%', '%E0%A4%A', '%C0%AF'])(
    'a route value with %s → 400 invalid-percent-encoding; the host keeps serving',
    async (encoding) => {
      const res = await fetch(`${host.url}/api/echo/${encoding}/x`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: 'invalid-percent-encoding', message: expect.any(String) },
      });
      expect((await fetch(`${host.url}/api/defaultRoute`)).status).toBe(200);
    },
  );

  it.each(['a b', '[::1', 'a/b', 'user@a', '1.2.3.4.5'])('Host %j → 400 invalid-host-header', async (value) => {
    const res = await nodeRequest('/api/defaultRoute', { headers: { host: value } });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'invalid-host-header' } });
  });

  it('an absolute-form target routes like origin form when it names the Host; another authority → 400', async () => {
    expect(await nodeRequest(`http://127.0.0.1:${host.port}/api/defaultRoute`)).toEqual({ status: 200, body: 'named' });
    const other = await nodeRequest('http://evil.example/api/defaultRoute');
    expect(other.status).toBe(400);
    expect(JSON.parse(other.body)).toMatchObject({ error: { code: 'host-header-mismatch' } });
  });

  it('a target starting with // is a path, not another authority', async () => {
    expect((await nodeRequest('//evil.example/api/defaultRoute')).status).toBe(404);
  });

  it("a request line Node refuses → 400 with the host's JSON body, not a bare close", async () => {
    const answer = await raw('GET /api/defaultRoute HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n');
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({
      error: { code: 'malformed-request' },
    });
  });

  it('CONNECT → 405, not a dropped connection', async () => {
    expect(await raw('CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n')).toMatch(/^HTTP\/1\.1 405 /);
  });

  it('a body cut short does not stop the host', async () => {
    const answer = await raw('POST /api/echo/1/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nabc', true);
    expect(answer).toMatch(/^(HTTP\/1\.1 4\d\d |$)/);
    expect((await fetch(`${host.url}/api/defaultRoute`)).status).toBe(200);
  });
});
