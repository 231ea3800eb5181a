/**
 * The local host with HTTP streams on, given a result of bytes in hand (`{ status?, headers?, body: Uint8Array }`,
 * what the gate returns for a small answer that came whole): written byte for byte as the `HttpResponse` the
 * library builds from the same init is written (headers, Set-Cookie, framing, an empty body), over a raw socket.
 */
import azureFunctions, { app, type HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installFunctionsCore, registeredFunctions } from '../../dev/host/functionsCore.js';
import { startFunctionsHost, type FunctionsHost } from '../../dev/host/server.js';
import { rawApiGet } from '../support/rawHttp.js';

let host: FunctionsHost;

const inits: Record<string, () => HttpResponseInit> = {
  // As the gate relays an answer: Headers with the upstream's length and type, two cookies.
  relayed: () => {
    const headers = new Headers([
      ['content-type', 'text/plain'],
      ['content-length', '5'],
      ['set-cookie', 'a=1; Path=/'],
      ['set-cookie', 'b=2'],
      ['x-correlation-id', 'c-1'],
    ]);
    return { status: 200, headers, body: Buffer.from('hello') };
  },
  // No length: chunked, as the streamed write frames it; names to lower-case, values to trim.
  unframed: () => ({
    status: 201,
    headers: { 'X-Upper': ' v ', 'x-latin1': 'caf\u00e9' },
    body: new Uint8Array([1, 2, 3]),
  }),
  empty: () => ({ headers: { 'content-length': '0' }, body: new Uint8Array(0) }),
  emptyUnframed: () => ({ body: Buffer.alloc(0) }),
  // Not bytes in hand, or a status without a body: through HttpResponse as before (the same either way).
  noContent: () => ({ status: 204, body: Buffer.from('dropped') }),
  text: () => ({ body: 'text' }),
};

beforeAll(async () => {
  installFunctionsCore();
  for (const [name, init] of Object.entries(inits)) {
    app.http(`plain-${name}`, { methods: ['GET'], authLevel: 'anonymous', route: `plain/${name}`, handler: init });
    app.http(`library-${name}`, {
      methods: ['GET'],
      authLevel: 'anonymous',
      route: `library/${name}`,
      handler: () => new azureFunctions.HttpResponse(init()),
    });
  }
  host = await startFunctionsHost({
    functions: registeredFunctions(),
    port: 0,
    functionKeys: [],
    masterKey: 'mkey',
    httpStream: true,
  });
});
afterAll(async () => {
  await host.close();
});

const raw = (path: string): Promise<string> => rawApiGet(host.port, path);

describe('local host, HTTP streams, a body of bytes in hand', () => {
  it.each(Object.keys(inits))('%s is written byte for byte as the HttpResponse built from it', async (name) => {
    const plain = await raw(`plain/${name}`);
    expect(plain).toBe(await raw(`library/${name}`));
    expect(plain).toMatch(/^HTTP\/1\.1 20[014] /);
  });

  it('relays every Set-Cookie and the body after the head', async () => {
    const relayed = await raw('plain/relayed');
    expect(relayed).toContain('set-cookie: a=1; Path=/\r\nset-cookie: b=2\r\n');
    expect(relayed.endsWith('\r\n\r\nhello')).toBe(true);
    expect(await raw('plain/unframed')).toContain('Transfer-Encoding: chunked\r\n\r\n3\r\n');
  });
});
