/**
 * Where the Graph stand-in's committed TLS files are (`dev/graph/tls/`, written once by
 * `makeTls.ts`) and how to read them. The npm scripts trust `ca.crt` through
 * `NODE_EXTRA_CA_CERTS=dev/graph/tls/ca.crt`. Dev and test only.
 * May import: node built-ins.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder holding `ca.crt`, `server.crt` and `server.key`. */
export const GRAPH_STAND_IN_TLS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'tls');

/** The stand-in's TLS material, PEM. */
export interface GraphStandInTlsFiles {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

/** Reads `ca.crt`, `server.crt` and `server.key`; the message says how to make them when they are missing. */
export async function readGraphStandInTls(dir: string = GRAPH_STAND_IN_TLS_DIR): Promise<GraphStandInTlsFiles> {
  try {
    const [caPem, certPem, keyPem] = await Promise.all(
      ['ca.crt', 'server.crt', 'server.key'].map((name) => readFile(join(dir, name), 'utf8')),
    );
    return { caPem: caPem ?? '', certPem: certPem ?? '', keyPem: keyPem ?? '' };
  } catch (error) {
    throw new Error(`the Graph stand-in's TLS files are missing in ${dir}: run npx tsx dev/graph/makeTls.ts`, {
      cause: error,
    });
  }
}
