/**
 * Starting a dev server on an address: listen, fail on a listen error (a taken port), and give
 * back the `host:port` authority for its URLs (IPv6 in brackets). Shared by the local gateway,
 * the token issuer, the Graph stand-in and the OCSP responder; and a free loopback port for a
 * server whose URL must be known before it starts (a setting names it). Dev and test only.
 * May import: node built-ins.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';

/**
 * Listens on `host:port` (port 0: any free one); resolves with the authority, e.g. `127.0.0.1:43121` or `[::1]:43121`.
 */
export async function listenOn(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return `${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
}

/** A free loopback TCP port (listen on 0, read it, close): for a URL a setting must name before the server starts. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  const authority = await listenOn(server, 0, '127.0.0.1');
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return Number(authority.slice(authority.lastIndexOf(':') + 1));
}
