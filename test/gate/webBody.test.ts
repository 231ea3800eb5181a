/**
 * The gate's relay of an upstream body (shared/gate/upstreamProxy.ts sendUpstream + relayedBodyOf),
 * over real loopback HTTP: a body on its way is relayed as a web stream and arrives whole; a body cut
 * short errors the stream (the client's answer must end abruptly, not look complete); cancelling
 * closes the upstream connection; an unread stream pauses the socket (back-pressure) instead of
 * buffering the body; and the bytes of a small body that came whole with its headers are handed on
 * as they are (the connection back in the pool).
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadableStream } from 'node:stream/web';
import { afterEach, describe, expect, it } from 'vitest';
import { relayedBodyOf, sendUpstream, type UpstreamResponse } from '../../shared/gate/upstreamProxy.js';

let server: Server | undefined;

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => {
    if (server)
      server.close(() => {
        resolve();
      });
    else resolve();
  });
  server = undefined;
});

async function listen(handler: (res: ServerResponse) => void): Promise<number> {
  server = createServer((req, res) => {
    req.resume();
    handler(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

function get(port: number): Promise<UpstreamResponse> {
  return sendUpstream({ url: `http://127.0.0.1:${port}/`, method: 'GET', headers: {}, body: null, timeoutMs: 10_000 });
}

async function upstreamWith(handler: (res: ServerResponse) => void): Promise<UpstreamResponse> {
  return get(await listen(handler));
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

function streamOf(response: UpstreamResponse): ReadableStream<Uint8Array> {
  const body = relayedBodyOf(response.body);
  expect(body).toBeInstanceOf(ReadableStream);
  return body as ReadableStream<Uint8Array>;
}

describe('the relayed stream', () => {
  it('relays the whole body, byte for byte', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const response = await upstreamWith((res) => {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    });
    const relayed = await readAll(streamOf(response));
    expect(relayed.equals(body)).toBe(true);
  });

  it('errors the stream when the upstream cuts the body short', async () => {
    const response = await upstreamWith((res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(1000, 1), () => res.destroy());
    });
    await expect(readAll(streamOf(response))).rejects.toThrow();
  });

  it('closes the upstream connection when the reader cancels', async () => {
    let upstreamClosed: Promise<unknown> = Promise.resolve();
    const response = await upstreamWith((res) => {
      upstreamClosed = once(res, 'close');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1000, 1));
    });
    const reader = streamOf(response).getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel(new Error('client went away'));
    await upstreamClosed;
  });

  it('pauses the upstream socket while nobody reads instead of buffering the body', async () => {
    const total = 256 * 1024 * 1024;
    let written = 0;
    const response = await upstreamWith((res) => {
      res.writeHead(200, { 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 2);
      const more = (): void => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
    });
    streamOf(response); // never read
    // Wait until the upstream stops getting rid of bytes (its socket and ours are full), then look.
    for (let last = -1; last !== written;) {
      last = written;
      await sleep(200);
    }
    expect(written).toBeLessThan(total / 4);
  });
});

describe('relayedBodyOf', () => {
  it('a small body that came whole with its headers is handed on as its bytes; the connection goes back to the pool', async () => {
    let connections = 0;
    const port = await listen((res) => {
      res.writeHead(200, { 'content-length': '1024' });
      res.end(Buffer.alloc(1024, 'x'));
    });
    server?.on('connection', () => connections++);
    for (let round = 0; round < 3; round++) {
      const response = await get(port);
      const body = relayedBodyOf(response.body);
      expect(body).not.toBeInstanceOf(ReadableStream);
      expect(Buffer.from(body as Uint8Array).equals(Buffer.alloc(1024, 'x'))).toBe(true);
      // The pool marks the connection free on its next turn (a request sent in the same tick takes another).
      await new Promise(setImmediate);
    }
    expect(connections).toBe(1);
  });

  it('an empty body is no bytes', async () => {
    const response = await upstreamWith((res) => {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    });
    const body = relayedBodyOf(response.body);
    expect(body).not.toBeInstanceOf(ReadableStream);
    expect((body as Uint8Array).byteLength).toBe(0);
  });

  it('a body still on its way is relayed as a stream as it comes, byte for byte', async () => {
    let finish: () => void = () => undefined;
    const response = await upstreamWith((res) => {
      res.writeHead(200, { 'content-length': '2000' });
      res.write(Buffer.alloc(1000, 1));
      finish = () => res.end(Buffer.alloc(1000, 2));
    });
    const body = relayedBodyOf(response.body);
    expect(body).toBeInstanceOf(ReadableStream);
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value ?? []).equals(Buffer.alloc(1000, 1))).toBe(true);
    finish();
    reader.releaseLock();
    const rest = await readAll(body as ReadableStream<Uint8Array>);
    expect(rest.equals(Buffer.alloc(1000, 2))).toBe(true);
  });

  it('a body over 64 KiB is relayed as a stream', async () => {
    const whole = Buffer.alloc(256 * 1024, 3);
    const response = await upstreamWith((res) => {
      res.writeHead(200, { 'content-length': String(whole.length) });
      res.end(whole);
    });
    const body = relayedBodyOf(response.body);
    expect(body).toBeInstanceOf(ReadableStream);
    expect((await readAll(body as ReadableStream<Uint8Array>)).equals(whole)).toBe(true);
  });
});
