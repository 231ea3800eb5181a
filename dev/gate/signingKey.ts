/**
 * The local stack's gate signing key (CERTGATE_GATE_SIGNING_KEY): a P-256 key in PKCS#8 PEM,
 * created once and kept beside the dev PKI (`gate-signing-key.pem`, mode 0600), so every process
 * of the stack signs and publishes the same key, as the dev PKI keeps its CAs. Created atomically
 * (written to a temporary file, hard-linked into place): concurrent first runs agree on one key.
 * Dev and test only: never a production key.
 * May import: node built-ins.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** File name of the key inside the directory. */
export const DEV_GATE_SIGNING_KEY_FILE = 'gate-signing-key.pem';

function isErrorCode(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && error.code === code;
}

/** A fresh P-256 private key, PKCS#8 PEM. */
export function generateGateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** The key stored in `dir`, or a new one stored there; PKCS#8 PEM. */
export async function loadOrCreateGateSigningKey(dir: string): Promise<string> {
  const path = join(dir, DEV_GATE_SIGNING_KEY_FILE);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (!isErrorCode(error, 'ENOENT')) throw error;
  }
  await mkdir(dir, { recursive: true });
  const temporary = join(dir, `.${DEV_GATE_SIGNING_KEY_FILE}.${randomUUID()}`);
  await writeFile(temporary, generateGateSigningKeyPem(), { mode: 0o600, flag: 'wx' });
  try {
    await link(temporary, path);
  } catch (error) {
    if (!isErrorCode(error, 'EEXIST')) throw error;
  } finally {
    await unlink(temporary);
  }
  return readFile(path, 'utf8');
}
