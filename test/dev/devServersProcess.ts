/**
 * Child-process entry for the dev-server fuzz test: starts the host and the gateway of
 * devServersUnderTest.ts with Node's default error handling (an unhandled rejection or an uncaught
 * exception ends the process, as it ends `npm start`) and prints `READY {"host":…,"gateway":…}`.
 *
 *   node --import tsx test/dev/devServersProcess.ts <dev PKI dir> <CRL base URL> <now ISO>
 */
import { ensureDevPki } from '../../dev/pki/index.js';
import { startDevServers } from './devServersUnderTest.js';

const [dir, crlBaseUrl, now] = process.argv.slice(2);
if (dir === undefined || crlBaseUrl === undefined || now === undefined)
  throw new Error('usage: devServersProcess.ts <pki dir> <crl base url> <now>');
const pki = await ensureDevPki({ dir, crlBaseUrl, now: new Date(now) });
const servers = await startDevServers(pki);
process.stdout.write(`READY ${JSON.stringify({ host: servers.host.port, gateway: servers.gateway.port })}\n`);
process.on('SIGTERM', () => {
  void servers.close().then(() => process.exit(0));
});
