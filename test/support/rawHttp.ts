/**
 * One HTTP/1.1 GET over a bare socket, the answer as the bytes the server wrote (latin1 text, the
 * `Date` header removed so two answers compare): for tests that check a host's wire output byte for byte.
 * May import: node:net.
 */
import { connect } from 'node:net';

/** GETs `/api/<path>` from 127.0.0.1:`port` with `Connection: close`; resolves with the raw answer minus `Date`. */
export function rawApiGet(port: number, path: string): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end(`GET /api/${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      resolve(
        Buffer.concat(chunks)
          .toString('latin1')
          .replace(/\r\nDate: [^\r]*/, ''),
      );
    });
    socket.on('error', reject);
  });
}
