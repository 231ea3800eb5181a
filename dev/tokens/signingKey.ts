/**
 * The dev token issuer's RS256 signing key, persisted so that every process of the local stack
 * (`npm start`, `dev/tokens/mint.ts` in a user's shell, tests) signs and verifies with the same
 * key. Stored as a PKCS#8 PEM file (mode 0600) under the given directory (the stack uses
 * `.certgate/dev/tokens/`); created atomically, so concurrent first runs agree on one key.
 * The key id is the RFC 7638 JWK thumbprint. Dev and test only: never a production key.
 * May import: jose, node built-ins.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';

/** File name of the persisted private key inside the key directory. */
export const DEV_SIGNING_KEY_FILE = 'signing-key.pem';

/** An RS256 signing key with its public JWK. */
export interface DevSigningKey {
  readonly privateKey: KeyObject;
  /** Public key as published in the JWKS (`kty`, `n`, `e`, `kid`, `use`, `alg`). */
  readonly publicJwk: JWK;
  readonly kid: string;
  /** Where the key is stored; undefined for an in-memory key. */
  readonly path: string | undefined;
}

/** Build the signing key record for a private key. */
export async function devSigningKeyFrom(privateKey: KeyObject, path: string | undefined): Promise<DevSigningKey> {
  const jwk = await exportJWK(createPublicKey(privateKey));
  const kid = await calculateJwkThumbprint({ kty: 'RSA', n: jwk.n, e: jwk.e });
  return { privateKey, publicJwk: { kty: 'RSA', n: jwk.n, e: jwk.e, kid, use: 'sig', alg: 'RS256' }, kid, path };
}

/** A fresh in-memory RS256 key (2048-bit). */
export async function generateDevSigningKey(): Promise<DevSigningKey> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return devSigningKeyFrom(privateKey, undefined);
}

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

/**
 * Load the key stored in `dir`, or create and store one. The new key is written to a temporary
 * file and hard-linked into place, which fails if another process got there first; that
 * process's key is then used.
 */
export async function loadOrCreateDevSigningKey(dir: string): Promise<DevSigningKey> {
  const path = join(dir, DEV_SIGNING_KEY_FILE);
  try {
    return await devSigningKeyFrom(createPrivateKey(await readFile(path, 'utf8')), path);
  } catch (error) {
    if (!isErrorCode(error, 'ENOENT')) throw error;
  }
  await mkdir(dir, { recursive: true });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const temporary = join(dir, `.${DEV_SIGNING_KEY_FILE}.${randomUUID()}`);
  await writeFile(temporary, pem, { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
  } catch (error) {
    if (!isErrorCode(error, 'EEXIST')) throw error;
  } finally {
    await unlink(temporary);
  }
  return devSigningKeyFrom(createPrivateKey(await readFile(path, 'utf8')), path);
}
