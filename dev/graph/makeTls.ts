/**
 * Writes the TLS material of the local Microsoft Graph stand-in, once, into `dev/graph/tls/`:
 *
 *   npx tsx dev/graph/makeTls.ts [--force]
 *
 * - `ca.crt`: a dev-only CA (ECDSA P-256, pathLen 0). Its private key is generated in memory, signs
 *   the one server certificate below and is then thrown away: no file ever holds it, so trusting
 *   `ca.crt` (`NODE_EXTRA_CA_CERTS=dev/graph/tls/ca.crt`, set by the npm scripts) can never make
 *   Node trust anything but that certificate.
 * - `server.crt` / `server.key`: the stand-in's server certificate for 127.0.0.1, ::1 and localhost
 *   (EKU serverAuth), valid for about 20 years, and its key.
 *
 * Why a private key is committed: the Graph client only sends tokens over https, and certgate runs
 * in the same process as the tests, so the trust anchor has to be known when the process starts
 * (`NODE_EXTRA_CA_CERTS` is read once, at start-up). Generating the certificate per run would need
 * a second process. The committed key is dev-only, protects nothing (the stand-in serves made-up
 * data from `directory.json`), and its certificate names loopback addresses only.
 * May import: ../pki/issue.js, ./tlsFiles.js, node built-ins.
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { issueCertificate } from '../pki/issue.js';
import { GRAPH_STAND_IN_TLS_DIR, type GraphStandInTlsFiles } from './tlsFiles.js';
import { messageOf } from '../../shared/errors.js';

const YEAR_MS = 365.25 * 86_400_000;
const VALIDITY_YEARS = 20;

/** Generates a fresh CA and the loopback server certificate it signs (the CA key is not returned). */
export async function makeGraphStandInTls(now: Date): Promise<GraphStandInTlsFiles> {
  const notBefore = new Date(now.getTime() - 86_400_000);
  const notAfter = new Date(now.getTime() + VALIDITY_YEARS * YEAR_MS);
  const ca = await issueCertificate({
    subject: 'CN=certgate dev Graph stand-in CA (loopback only), O=Contoso Dev',
    keyAlgorithm: 'ecdsa-p256',
    notBefore,
    notAfter,
    ca: { pathLength: 0 },
  });
  const server = await issueCertificate({
    subject: 'CN=localhost, O=Contoso Dev',
    issuer: ca.credentials,
    keyAlgorithm: 'ecdsa-p256',
    notBefore,
    notAfter,
    keyUsage: ['digitalSignature'],
    extKeyUsage: ['serverAuth'],
    san: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] },
  });
  return { caPem: ca.cert.pem, certPem: server.cert.pem, keyPem: server.key };
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function main(argv: readonly string[]): Promise<void> {
  const target = GRAPH_STAND_IN_TLS_DIR;
  if (!argv.includes('--force') && (await exists(join(target, 'server.key')))) {
    process.stdout.write(`${target} already holds the stand-in's TLS files; pass --force to replace them\n`);
    return;
  }
  const tls = await makeGraphStandInTls(new Date());
  await mkdir(target, { recursive: true });
  await writeFile(join(target, 'ca.crt'), tls.caPem.endsWith('\n') ? tls.caPem : `${tls.caPem}\n`);
  await writeFile(join(target, 'server.crt'), tls.certPem.endsWith('\n') ? tls.certPem : `${tls.certPem}\n`);
  await writeFile(join(target, 'server.key'), tls.keyPem.endsWith('\n') ? tls.keyPem : `${tls.keyPem}\n`, {
    mode: 0o600,
  });
  process.stdout.write(`wrote ca.crt, server.crt, server.key to ${target}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${messageOf(error)}\n`);
    process.exitCode = 1;
  });
}
