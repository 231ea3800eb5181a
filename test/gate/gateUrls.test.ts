/**
 * The gate's URL parsing per request: the kept parse of an upstream or public origin
 * (shared/gate/urlRewrite.ts parsedUrl) and of a request URL's path and query (pathAndQueryOf),
 * each keyed by the whole string and bounded; and the upstream
 * request's target handed to the client already split (its parts are those the URL string the
 * gate used to build would parse to, byte for byte).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendUpstream } from '../../shared/gate/upstreamProxy.js';
import {
  basePathOf,
  keptUrlCounts,
  PARSED_URL_ENTRIES,
  parsedUrl,
  PATH_AND_QUERY_ENTRIES,
  pathAndQueryOf,
  upstreamPathFor,
} from '../../shared/gate/urlRewrite.js';

describe('parsedUrl', () => {
  it('has the parts new URL gives', () => {
    const url = new URL('https://Backend.Internal:8443/app/');
    expect(parsedUrl('https://Backend.Internal:8443/app/')).toEqual({
      protocol: url.protocol,
      host: url.host,
      hostname: url.hostname,
      port: url.port,
      origin: url.origin,
      pathname: url.pathname,
    });
  });

  it('is keyed by the whole string: scheme, host, port and path each make another entry', () => {
    const variants = [
      'https://backend.internal:8443/app',
      'http://backend.internal:8443/app',
      'https://backend2.internal:8443/app',
      'https://backend.internal:8444/app',
      'https://backend.internal:8443/other',
      'https://backend.internal/app',
    ];
    const parsed = variants.map((text) => parsedUrl(text));
    for (const [index, text] of variants.entries()) {
      const url = new URL(text);
      expect(parsed[index]).toMatchObject({ origin: url.origin, pathname: url.pathname, port: url.port });
    }
    expect(new Set(parsed.map((parts) => `${parts.origin}${parts.pathname}`)).size).toBe(variants.length);
  });

  it('keeps a parse (the same frozen object) and drops the oldest past its bound', () => {
    expect(keptUrlCounts().parsedUrls).toBeLessThanOrEqual(PARSED_URL_ENTRIES);
    const first = parsedUrl('https://kept.example/first');
    expect(parsedUrl('https://kept.example/first')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    for (let index = 0; index < PARSED_URL_ENTRIES; index++) parsedUrl(`https://filler-${index}.example/`);
    const again = parsedUrl('https://kept.example/first');
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(keptUrlCounts().parsedUrls).toBe(PARSED_URL_ENTRIES);
  });

  it('throws as new URL does, and keeps nothing', () => {
    expect(() => parsedUrl('https://[bad')).toThrow(TypeError);
    expect(() => parsedUrl('https://[bad')).toThrow(TypeError);
  });
});

describe('pathAndQueryOf', () => {
  const urls = [
    'https://files.contoso.com/',
    'https://files.contoso.com/x?y=1',
    'https://files.contoso.com/x?y=2',
    'https://files.contoso.com/x?',
    'https://files.contoso.com/x?#frag',
    'https://files.contoso.com/x#frag?y=1',
    'https://other.contoso.com/x?y=1',
    'http://files.contoso.com:8080/x?y=1',
    'https://files.contoso.com/a%2Fb/c%20d?q=%2F&q=2',
    'https://files.contoso.com/a/%2e%2E/b/./c',
    "https://files.contoso.com/caf\u00e9 'x'?q=caf\u00e9 'x'",
    'https://files.contoso.com/a\\b?c\\d',
  ];
  it.each(urls)('%s: pathname + search as new URL gives them, the first time and again', (url) => {
    const parsed = new URL(url);
    expect(pathAndQueryOf(url)).toBe(`${parsed.pathname}${parsed.search}`);
    expect(pathAndQueryOf(url)).toBe(`${parsed.pathname}${parsed.search}`);
  });

  it('is keyed by the whole URL: URLs that differ in the query only or the path only each get their own', () => {
    // Kept first, then asked again in the other order: a key missing a part would answer the first one's.
    const pairs = [
      ['https://files.contoso.com/k?a=1', 'https://files.contoso.com/k?a=2'],
      ['https://files.contoso.com/k1?a=1', 'https://files.contoso.com/k2?a=1'],
    ] as const;
    for (const [first, second] of pairs) {
      pathAndQueryOf(first);
      pathAndQueryOf(second);
      expect(pathAndQueryOf(second)).toBe(`${new URL(second).pathname}${new URL(second).search}`);
      expect(pathAndQueryOf(first)).toBe(`${new URL(first).pathname}${new URL(first).search}`);
    }
  });

  it('stays within its bound', () => {
    for (let index = 0; index < PATH_AND_QUERY_ENTRIES + 10; index++)
      expect(pathAndQueryOf(`https://files.contoso.com/n/${index}?i=${index}`)).toBe(`/n/${index}?i=${index}`);
    expect(keptUrlCounts().pathsAndQueries).toBe(PATH_AND_QUERY_ENTRIES);
  });

  it('throws as new URL does, and keeps nothing', () => {
    const before = keptUrlCounts().pathsAndQueries;
    expect(() => pathAndQueryOf('not a url')).toThrow(TypeError);
    expect(keptUrlCounts().pathsAndQueries).toBe(before);
  });
});

describe('the upstream target, split', () => {
  const upstreams = [
    'https://backend.internal:8443/app',
    'https://backend.internal/app/',
    'https://backend.internal:443',
    'http://127.0.0.1:8080//double/',
    'http://[::1]:8080/base%20path',
    'https://BACKEND.example',
  ];
  // Request URLs as the trigger sees them; the gate takes their parsed path and query.
  const requests = [
    'https://files.contoso.com/',
    'https://files.contoso.com/x?y=1',
    'https://files.contoso.com/a%2Fb/c%20d?q=%2F&q=2',
    'https://files.contoso.com//evil.example/x',
    'https://files.contoso.com/a/%2e%2E/b/.%2e/c?',
    'https://files.contoso.com/%2ex/..x/?a=b?c#frag',
    "https://files.contoso.com/caf\u00e9 'x'?q=caf\u00e9 'x'",
    'https://files.contoso.com/a\\b?c\\d',
  ];
  it.each(upstreams.flatMap((upstream) => requests.map((request) => [upstream, request] as const)))(
    '%s + %s: the parts the built URL parses to',
    (upstream, request) => {
      const parsedRequest = new URL(request);
      const pathAndQuery = `${parsedRequest.pathname}${parsedRequest.search}`;
      const origin = parsedUrl(upstream);
      const path = upstreamPathFor(origin, pathAndQuery);
      const built = new URL(`${origin.origin}${path}`);
      expect(`${basePathOf(origin)}${pathAndQuery}`).toBe(path);
      expect(path).toBe(`${built.pathname}${built.search}`);
      expect([origin.protocol, origin.hostname, origin.port]).toEqual([built.protocol, built.hostname, built.port]);
    },
  );

  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((request, response) => {
      response.end(request.url);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('sendUpstream sends the split target as the URL string would be sent', async () => {
    const path = '/app/a%2Fb/c%20d?q=%2F&q=2';
    const targets = [`http://127.0.0.1:${port}${path}`, { origin: parsedUrl(`http://127.0.0.1:${port}/app`), path }];
    for (const url of targets) {
      const answer = await sendUpstream({ url, method: 'GET', headers: {}, body: null, timeoutMs: 5000 });
      const chunks: Buffer[] = [];
      for await (const chunk of answer.body) chunks.push(chunk as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe(path);
    }
  });
});
