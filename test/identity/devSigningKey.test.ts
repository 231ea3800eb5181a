import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../../shared/adapters/jwksTokenVerifier.js';
import {
  DEV_ISSUER_METADATA_FILE,
  DEV_TOKEN_AUDIENCE,
  loadOrCreateDevSigningKey,
  startDevTokenIssuer,
} from '../../dev/tokens/index.js';

const run = promisify(execFile);
const TENANT = '11111111-2222-4333-8444-555555555555';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certgate-tokens-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadOrCreateDevSigningKey', () => {
  it('creates one key, private to the owner, and returns the same key afterwards', async () => {
    const keyDir = join(dir, 'once');
    const [first, second, third] = await Promise.all([
      loadOrCreateDevSigningKey(keyDir),
      loadOrCreateDevSigningKey(keyDir),
      loadOrCreateDevSigningKey(keyDir),
    ]);
    expect(second.kid).toBe(first.kid);
    expect(third.kid).toBe(first.kid);
    expect((await loadOrCreateDevSigningKey(keyDir)).kid).toBe(first.kid);
    expect((await stat(first.path!)).mode & 0o077).toBe(0);
    expect(first.publicJwk).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: first.kid });
    expect(first.publicJwk).not.toHaveProperty('d');
  });
});

describe('mint CLI and the running issuer agree', () => {
  it('a token printed by dev/tokens/mint.ts verifies against the issuer started with the same key directory', async () => {
    const keyDir = join(dir, 'stack');
    const issuer = await startDevTokenIssuer({ tenantId: TENANT, keyDir });
    try {
      const metadata = JSON.parse(await readFile(join(keyDir, DEV_ISSUER_METADATA_FILE), 'utf8')) as { issuer: string };
      expect(metadata.issuer).toBe(issuer.issuer);
      const script = resolve(import.meta.dirname, '../../dev/tokens/mint.ts');
      const { stdout } = await run(
        process.execPath,
        [
          '--import',
          'tsx',
          script,
          '--dir',
          keyDir,
          '--upn',
          'alice@contoso.example',
          '--roles',
          'Certgate.Admin,Certgate.Reader',
        ],
        {
          cwd: resolve(import.meta.dirname, '../..'),
        },
      );
      const verifier = createTokenVerifier({
        issuer: issuer.issuer,
        audience: [DEV_TOKEN_AUDIENCE],
        jwksUri: issuer.jwksUri,
      });
      // The CLI stamps the real time; verify at the real time, which is what it is for.
      const result = await verifier.verify(`Bearer ${stdout.trim()}`, new Date());
      expect(result.ok && result.principal).toMatchObject({
        upn: 'alice@contoso.example',
        tenantId: TENANT,
        roles: ['Certgate.Admin', 'Certgate.Reader'],
        kind: 'user',
      });
    } finally {
      await issuer.close();
    }
  });

  it('refuses to guess the issuer when the stack has not written it', async () => {
    const script = resolve(import.meta.dirname, '../../dev/tokens/mint.ts');
    await expect(
      run(process.execPath, ['--import', 'tsx', script, '--dir', join(dir, 'empty'), '--upn', 'alice@contoso.example']),
    ).rejects.toMatchObject({ code: 2 });
  });
});
