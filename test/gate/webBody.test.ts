/**
 * The gate's relay of an upstream body as a web stream (shared/gate/upstreamProxy.ts webBodyOf),
 * over real loopback HTTP: the whole body arrives; a body cut short errors the stream (the client's
 * answer must end abruptly, not look complete); cancelling destroys the upstream response; an unread
 * stream pauses the socket (back-pressure) instead of buffering the body; and relayedBodyOf, which hands
 * on the bytes of a small body that came whole with its headers (the connection back in the pool) and
 * relays anything else as that stream.
 */
import { once } from 'node:events';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'node:http';
import { ReadableStream } from 'node:stream/web';
import { afterEach, describe, expect, it } from 'vitest';
import { relayedBodyOf, webBodyOf } from '../../shared/gate/upstreamProxy.js';

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

async function upstreamWith(handler: (res: ServerResponse) => void): Promise<IncomingMessage> {
  server = createServer((req, res) => {
    req.resume();
    handler(res);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const req = request({ host: '127.0.0.1', port, path: '/', agent: false });
  req.end();
  const [response] = (await once(req, 'response')) as [IncomingMessage];
  return response;
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

describe('webBodyOf', () => {
  it('relays the whole body, byte for byte', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const response = await upstreamWith((res) => {
      res.writeHead(200, { 'content-length': String(body.length) });
      res.end(body);
    });
    const relayed = await readAll(webBodyOf(response));
    expect(relayed.equals(body)).toBe(true);
  });

  it('errors the stream when the upstream cuts the body short', async () => {
    const response = await upstreamWith((res) => {
      res.writeHead(200, { 'content-length': '100000' });
      res.write(Buffer.alloc(1000, 1), () => res.destroy());
    });
    await expect(readAll(webBodyOf(response))).rejects.toThrow();
  });

  it('destroys the upstream response when the reader cancels', async () => {
    let upstreamClosed: Promise<unknown> = Promise.resolve();
    const response = await upstreamWith((res) => {
      upstreamClosed = once(res, 'close');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(1000, 1));
    });
    const reader = webBodyOf(response).getReader();
    expect((await reader.read()).done).toBe(false);
    await reader.cancel(new Error('client went away'));
    expect(response.destroyed).toBe(true);
    await upstreamClosed;
  });

  it('pauses the upstream socket while nobody reads instead of buffering the body', async () => {
    const response = await upstreamWith((res) => {
      res.writeHead(200, { 'content-length': String(64 * 1024 * 1024) });
      const chunk = Buffer.alloc(64 * 1024, 2);
      const more = (): void => {
        while (res.write(chunk));
        res.once('drain', more);
      };
      more();
    });
    webBodyOf(response); // never read
    await once(response, 'pause');
    expect(response.isPaused()).toBe(true);
    expect(response.readableLength).toBeLessThan(1024 * 1024);
  });
});

describe('relayedBodyOf', () => {
  it('a small body that came whole with its headers is handed on as its bytes; the connection goes back to the pool', async () => {
    let connections = 0;
    server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-length': '1024' });
      res.end(Buffer.alloc(1024, 'x'));
    });
    server.on('connection', () => connections++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let round = 0; round < 3; round++) {
        const req = request({ host: '127.0.0.1', port, path: '/', agent });
        req.end();
        const [response] = (await once(req, 'response')) as [IncomingMessage];
        const body = relayedBodyOf(response);
        expect(body).not.toBeInstanceOf(ReadableStream);
        expect(Buffer.from(body as Uint8Array).equals(Buffer.alloc(1024, 'x'))).toBe(true);
        await once(response, 'end');
      }
      expect(connections).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('an empty body is no bytes', async () => {
    const response = await upstreamWith((res) => {
      res.writeHead(200, { 'content-length': '0' });
      res.end();
    });
    const body = relayedBodyOf(response);
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
    const body = relayedBodyOf(response);
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
    const body = relayedBodyOf(response);
    expect(body).toBeInstanceOf(ReadableStream);
    expect((await readAll(body as ReadableStream<Uint8Array>)).equals(whole)).toBe(true);
  });
});
