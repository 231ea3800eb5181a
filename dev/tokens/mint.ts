/**
 * Mint a dev access token from the shell, signed with the key the local stack's token issuer
 * publishes (persisted under `.certgate/dev/tokens/`), and print it:
 *
 *   npx tsx dev/tokens/mint.ts --upn alice@contoso.example --roles Certgate.Admin
 *   curl -H "Authorization: Bearer $(npx tsx dev/tokens/mint.ts --upn alice@contoso.example)" …
 *
 * The issuer URL comes from `issuer.json`, written by the running issuer; pass `--issuer` when
 * the stack has not run yet. Dev only.
 * May import: node built-ins, ./devTokenIssuer.js, ./signingKey.js.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  DEV_ISSUER_METADATA_FILE,
  DEV_TENANT_ID,
  DEV_TOKEN_AUDIENCE,
  mintDevToken,
  type DevIssuerMetadata,
} from './devTokenIssuer.js';
import { loadOrCreateDevSigningKey } from './signingKey.js';
import { messageOf } from '../../shared/errors.js';

/** The key directory of the local stack: `<repo>/.certgate/dev/tokens`. */
export const DEFAULT_DEV_TOKEN_DIR = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '.certgate',
  'dev',
  'tokens',
);

const USAGE = `usage: npx tsx dev/tokens/mint.ts --upn <upn> [--roles Certgate.Admin,Certgate.Reader] [--groups <id,…>]
       [--name <display name>] [--oid <object id>] [--audience <aud>] [--expires-in <seconds>]
       [--app] [--issuer <url>] [--tenant <id>] [--dir <key directory>]`;

/** A stable object id for a UPN (UUID-shaped SHA-1 of it), so the same user keeps one oid. */
export function devObjectIdFor(upn: string): string {
  const hex = createHash('sha1').update(`certgate-dev-user:${upn.toLowerCase()}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
}

async function readMetadata(dir: string): Promise<DevIssuerMetadata | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, DEV_ISSUER_METADATA_FILE), 'utf8')) as DevIssuerMetadata;
  } catch {
    return undefined;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      upn: { type: 'string' },
      roles: { type: 'string' },
      groups: { type: 'string' },
      name: { type: 'string' },
      oid: { type: 'string' },
      audience: { type: 'string' },
      'expires-in': { type: 'string' },
      app: { type: 'boolean', default: false },
      issuer: { type: 'string' },
      tenant: { type: 'string' },
      dir: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (values.upn === undefined && !values.app) {
    process.stderr.write(`--upn is required for a user token\n${USAGE}\n`);
    return 2;
  }
  const dir = values.dir ?? DEFAULT_DEV_TOKEN_DIR;
  const metadata = await readMetadata(dir);
  const issuer = values.issuer ?? metadata?.issuer;
  if (issuer === undefined) {
    process.stderr.write(
      `no ${DEV_ISSUER_METADATA_FILE} in ${dir}: start the local stack once (npm start) or pass --issuer\n`,
    );
    return 2;
  }
  const expiresIn = values['expires-in'] === undefined ? undefined : Number(values['expires-in']);
  if (expiresIn !== undefined && (!Number.isInteger(expiresIn) || expiresIn <= 0)) {
    process.stderr.write('--expires-in must be a positive number of seconds\n');
    return 2;
  }
  const signingKey = await loadOrCreateDevSigningKey(dir);
  const roles = list(values.roles);
  const groups = list(values.groups);
  const token = await mintDevToken(signingKey, issuer, values.tenant ?? metadata?.tenantId ?? DEV_TENANT_ID, {
    oid: values.oid ?? devObjectIdFor(values.upn ?? 'app'),
    audience: values.audience ?? DEV_TOKEN_AUDIENCE,
    kind: values.app ? 'app' : 'user',
    ...(values.upn === undefined || values.app ? {} : { upn: values.upn }),
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(roles === undefined ? {} : { roles }),
    ...(groups === undefined ? {} : { groups }),
    ...(expiresIn === undefined ? {} : { expiresInSeconds: expiresIn }),
  });
  process.stdout.write(`${token}\n`);
  return 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${messageOf(error)}\n${USAGE}\n`);
      process.exitCode = 2;
    },
  );
}
