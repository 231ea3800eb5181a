/**
 * One exception base: every certgate exception is a CertgateError with a stable code and its
 * cause; the message of anything thrown comes from one helper.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenVerifierConfigError } from '../../shared/adapters/jwksTokenVerifier.js';
import { StorageDeadlineError } from '../../shared/adapters/storageClients.js';
import { OcspRequestError } from '../../shared/cert/revocation/ocsp.js';
import { DerStructureError } from '../../shared/cert/x509/derNodes.js';
import { ConfigError } from '../../shared/config.js';
import { CertgateError, messageOf } from '../../shared/errors.js';
import { PolicyConfigurationError } from '../../shared/policy/evaluateAccess.js';
import { DirectoryError, StoreError } from '../../shared/ports.js';

const ROOT = new URL('../../', import.meta.url).pathname;

function sources(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('CertgateError', () => {
  const cause = new Error('socket hang up');
  it.each([
    { label: 'a setting', error: new ConfigError('CERTGATE_TABLE_PREFIX', 'bad'), code: 'config-invalid' },
    {
      label: 'a store answer',
      error: new StoreError('precondition-failed', 'stale', { cause }),
      code: 'precondition-failed',
    },
    { label: 'the directory', error: new DirectoryError('throttled', 'slow down', 7), code: 'directory-throttled' },
    {
      label: 'a storage deadline',
      error: new StorageDeadlineError(2000, { cause }),
      code: 'storage-deadline-exceeded',
    },
    {
      label: 'an OCSP request',
      error: new OcspRequestError('ocsp-request-nonce-invalid', 'short'),
      code: 'ocsp-request-nonce-invalid',
    },
    { label: 'DER', error: new DerStructureError('truncated'), code: 'der-structure-invalid' },
    { label: 'a policy document', error: new PolicyConfigurationError([]), code: 'policy-configuration-invalid' },
    {
      label: 'a token verifier option',
      error: new TokenVerifierConfigError('issuer', 'not a URL'),
      code: 'token-verifier-config-invalid',
    },
  ])('is the base of every exception, with its code: $label', ({ error, code }) => {
    expect(error).toBeInstanceOf(CertgateError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
  });

  it('keeps the cause and the subclass name', () => {
    const error = new StoreError('unavailable', 'table down', { cause });
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('StoreError');
    expect(new DirectoryError('denied', 'no permission').kind).toBe('denied');
  });

  it('is the only direct Error subclass in the app', () => {
    const subclasses = ['shared', 'functions']
      .flatMap((directory) => sources(join(ROOT, directory)))
      .filter((file) => /\bextends Error\b/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(subclasses).toEqual(['shared/errors.ts']);
  });
});

describe('messageOf', () => {
  it.each([
    { label: 'an Error', thrown: new TypeError('bad type'), expected: 'bad type' },
    { label: 'a string', thrown: 'plain', expected: 'plain' },
    { label: 'a number', thrown: 42, expected: '42' },
    { label: 'undefined', thrown: undefined, expected: 'undefined' },
  ])('$label', ({ thrown, expected }) => {
    expect(messageOf(thrown)).toBe(expected);
  });

  it('is the one copy of the rule', () => {
    const copies = ['shared', 'functions', 'dev']
      .flatMap((directory) => sources(join(ROOT, directory)))
      .filter((file) => /instanceof Error \? [\w.]+\.message : String\(/.test(readFileSync(file, 'utf8')))
      .map((file) => relative(ROOT, file));
    expect(copies).toEqual(['shared/errors.ts']);
  });
});
