/**
 * A TCP proxy in front of a storage endpoint (Azurite) that can be switched to hang: while
 * hanging it accepts connections and reads what the client sends but never answers (nor forwards),
 * which is what a silent storage account looks like to a client (no refusal, no reset). It also
 * records the HTTP request lines it saw, so tests can count calls of one kind. Test only.
 * May import: node built-ins.
 */
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';

/** A running proxy. */
export interface HangingProxy {
  /** `http://127.0.0.1:<port>`: put it in place of the target's origin. */
  readonly origin: string;
  /** On: every byte in either direction is swallowed, new connections are accepted and left silent. */
  hang(on: boolean): void;
  /** The request lines seen (`GET /devstoreaccount1/Tables… HTTP/1.1`), hanging or not. */
  readonly requests: string[];
  close(): Promise<void>;
}

const REQUEST_LINE = /^(?:GET|HEAD|POST|PUT|PATCH|MERGE|DELETE|OPTIONS) \S+ HTTP\/1\.1$/gm;

/** Starts a proxy on a free loopback port in front of `target` (`http://host:port`). */
export async function startHangingProxy(target: string): Promise<HangingProxy> {
  const { hostname, port } = new URL(target);
  let hanging = false;
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = createServer((client) => {
    track(client);
    const upstream = connect(Number(port), hostname);
    track(upstream);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      requests.push(...(chunk.toString('latin1').match(REQUEST_LINE) ?? []));
      if (!hanging) upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!hanging) client.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hang: (on) => {
      hanging = on;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          resolve();
        });
      }),
  };
}
