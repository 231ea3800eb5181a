/**
 * Starting a dev server on an address: listen, fail on a listen error (a taken port), and give
 * back the `host:port` authority for its URLs (IPv6 in brackets). Shared by the local gateway,
 * the token issuer, the Graph stand-in and the OCSP responder. Dev and test only.
 * May import: node built-ins.
 */
import type { AddressInfo, Server } from 'node:net';

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
