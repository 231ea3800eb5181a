/**
 * The gate's upstream client (shared/gate/upstreamProxy.ts sendUpstream) over real loopback HTTP and
 * TLS: an https upstream is verified (the dev CA through NODE_EXTRA_CA_CERTS passes; a certificate
 * that does not name the host fails as unavailable); an upload whose upstream stops reading times
 * out; a client body that fails carries its error as the cause and the upstream request is aborted;
 * repeated Set-Cookie headers stay apart.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ReadableStream } from 'node:stream/web';
import { afterEach, describe, expect, it } from 'vitest';
import { relayedBodyOf, sendUpstream, UpstreamError } from '../../shared/gate/upstreamProxy.js';

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }
});

async function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  servers.push(server);
  server.listen(0, host);
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

const tls = { cert: readFileSync('dev/graph/tls/server.crt'), key: readFileSync('dev/graph/tls/server.key') };
const answer = (req: IncomingMessage, res: ServerResponse): void => {
  req.resume();
  res.writeHead(200, [
    ['content-type', 'text/plain'],
    ['set-cookie', 'a=1'],
    ['set-cookie', 'b=2'],
  ]);
  res.end('hello');
};

describe('sendUpstream', () => {
  it('talks to an https upstream whose certificate chains to the trusted (dev) CA; repeated Set-Cookie stay apart', async () => {
    const port = await listen(createTlsServer(tls, answer));
    const response = await sendUpstream({
      url: `https://localhost:${port}/x?y=1`,
      method: 'GET',
      headers: {},
      body: null,
      timeoutMs: 10_000,
    });
    expect(response.status).toBe(200);
    const cookies = response.rawHeaders.filter((_, index, all) => all[index - 1]?.toLowerCase() === 'set-cookie');
    expect(cookies).toEqual(['a=1', 'b=2']);
    expect(Buffer.from(relayedBodyOf(response.body) as Uint8Array).toString()).toBe('hello');
  });

  it('refuses an https upstream whose certificate does not name the host: unavailable', async () => {
    // A loopback address the certificate does not name (it names localhost, 127.0.0.1 and ::1).
    const port = await listen(createTlsServer(tls, answer), '127.0.0.2');
    const failure = await sendUpstream({
      url: `https://127.0.0.2:${port}/`,
      method: 'GET',
      headers: {},
      body: null,
      timeoutMs: 10_000,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).kind).toBe('unavailable');
    expect((failure as UpstreamError).detail).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('an upload whose upstream never answers times out', async () => {
    const port = await listen(createServer(() => undefined));
    const failure = await sendUpstream({
      url: `http://127.0.0.1:${port}/upload`,
      method: 'POST',
      headers: {},
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(1000));
          controller.close();
        },
      }),
      timeoutMs: 300,
    }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).kind).toBe('timeout');
  });

  it("a client body that fails mid-upload rejects with its error as the cause, and the upstream's request is aborted", async () => {
    let upstreamRequest: IncomingMessage | undefined;
    let onArrived: () => void = () => undefined;
    const arrived = new Promise<void>((resolve) => {
      onArrived = resolve;
    });
    const port = await listen(
      createServer((req) => {
        upstreamRequest = req;
        req.on('error', () => undefined); // "aborted": what this test expects
        req.once('data', () => {
          onArrived();
        });
        req.resume();
      }),
    );
    const reason = new Error('the client went away');
    let fail: (error: Error) => void = () => undefined;
    const pending = sendUpstream({
      url: `http://127.0.0.1:${port}/upload`,
      method: 'PUT',
      headers: {},
      body: new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new Uint8Array(1000));
          fail = (error) => {
            controller.error(error);
          };
        },
      }),
      timeoutMs: 10_000,
    }).catch((error: unknown) => error);
    await arrived;
    const aborted = once(upstreamRequest as IncomingMessage, 'error');
    fail(reason);
    const failure = await pending;
    expect(failure).toBeInstanceOf(UpstreamError);
    expect((failure as UpstreamError).kind).toBe('unavailable');
    expect((failure as UpstreamError).cause).toBe(reason);
    const [upstreamError] = (await aborted) as [Error];
    expect(upstreamError.message).toBe('aborted');
    expect(upstreamRequest?.complete).toBe(false);
  });
});
