/**
 * The gateway-format registry: one file per format in shared/cert/intake/formats/, and every list
 * of kinds, header names and repeat rules (and the config enum) derived from it, so that adding a
 * format is one new file plus its test. These tests fail when a format file is not registered,
 * when a derived table drifts from the formats, or when the docs miss a kind.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GATEWAY_FORMATS, gatewayFormatOf } from '../../../shared/cert/intake/formats/index.js';
import {
  DEFAULT_HEADER_NAMES,
  GATEWAY_KINDS,
  HEADER_REPEAT_RULES,
  readForwardedCertificate,
} from '../../../shared/cert/intake/index.js';
import { loadConfig } from '../../../shared/config.js';
import { fetchRequest, intermediate, leaf } from './intakeFixtures.js';

const formatsDirectory = new URL('../../../shared/cert/intake/formats/', import.meta.url);
const base = {
  CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  CERTGATE_GATEWAY_SECRETS: 'a-secret-of-sixteen-plus',
};

describe('gateway format registry', () => {
  it('every file in formats/ is a registered format named after its kind', () => {
    const files = readdirSync(formatsDirectory).filter((name) => name.endsWith('.ts') && name !== 'index.ts');
    expect(files.map((name) => name.replace(/\.ts$/, '')).sort()).toEqual([...GATEWAY_KINDS].sort());
  });

  it('kinds are unique and GATEWAY_KINDS is the registry, in its order', () => {
    expect(new Set(GATEWAY_KINDS).size).toBe(GATEWAY_KINDS.length);
    expect(GATEWAY_KINDS).toEqual(GATEWAY_FORMATS.map((format) => format.kind));
  });

  it.each(GATEWAY_FORMATS.map((format) => ({ kind: format.kind, format })))(
    '$kind: the tables are its own',
    ({ kind, format }) => {
      expect(gatewayFormatOf(kind)).toBe(format);
      expect(DEFAULT_HEADER_NAMES[kind]).toEqual(format.headers);
      expect(HEADER_REPEAT_RULES[kind]).toEqual(format.repeatRules);
      expect(format.docs.trim()).not.toBe('');
      // A rule for every header it sends except the proof header (a repeat there is no proof).
      const roles = Object.keys(format.headers).filter((role) => role !== 'frontDoorId');
      expect(Object.keys(format.repeatRules).sort()).toEqual(roles.sort());
    },
  );

  it.each(GATEWAY_KINDS.map((kind) => ({ kind })))('$kind: its encoder and decoder agree', ({ kind }) => {
    const headers = {
      'X-Certgate-Gateway-Secret': 'registry-secret',
      ...Object.fromEntries(
        Object.entries(gatewayFormatOf(kind).encode(leaf, [intermediate])).map(([role, value]) => [
          DEFAULT_HEADER_NAMES[kind][role as 'certificate'] ?? role,
          value,
        ]),
      ),
    };
    const result = readForwardedCertificate(fetchRequest(headers), [{ kind, secrets: ['registry-secret'] }]);
    expect(result).toMatchObject({ kind: 'present', leaf });
  });

  it('the config accepts exactly the registered kinds, as primary and as additional gateways', () => {
    for (const kind of GATEWAY_KINDS) {
      expect(loadConfig({ ...base, CERTGATE_GATEWAY_KIND: kind }).gateway.kind).toBe(kind);
      expect(
        loadConfig({
          ...base,
          CERTGATE_ADDITIONAL_GATEWAYS: JSON.stringify([{ kind, secrets: ['another-secret-of-16+'] }]),
        }).additionalGateways[0]?.kind,
      ).toBe(kind);
    }
    expect(() => loadConfig({ ...base, CERTGATE_GATEWAY_KIND: 'no-such-gateway' })).toThrow(/CERTGATE_GATEWAY_KIND/);
  });

  it('docs/gateways.md has a section and README.md a row for every kind', () => {
    const gatewaysDoc = readFileSync(new URL('../../../docs/gateways.md', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    for (const kind of GATEWAY_KINDS) {
      expect(gatewaysDoc, kind).toMatch(new RegExp(`^## .*\\(\`${kind}\`\\)$`, 'm'));
      expect(readme, kind).toMatch(new RegExp(`^\\| \`${kind}\` \\|`, 'm'));
      expect(readme.match(/^\| `CERTGATE_GATEWAY_KIND` \| .*$/m)?.[0], kind).toContain(`\`${kind}\``);
    }
  });
});

describe('header names resolved once per gateway configuration and role', () => {
  it("each configuration and role gets its own name (overrides trimmed, lower-cased; '' switches a role off)", async () => {
    const { headerNameFor } = await import('../../../shared/cert/intake/headerNames.js');
    const plain = { kind: 'app-gateway', secrets: ['s'] } as const;
    const renamed = { kind: 'app-gateway', secrets: ['s'], headers: { certificate: ' X-My-Cert ' } } as const;
    const switchedOff = { kind: 'app-gateway', secrets: ['s'], headers: { certificate: '' } } as const;
    for (let round = 0; round < 2; round++) {
      expect(headerNameFor(plain, 'certificate')).toBe(DEFAULT_HEADER_NAMES['app-gateway'].certificate?.toLowerCase());
      expect(headerNameFor(renamed, 'certificate')).toBe('x-my-cert');
      expect(headerNameFor(switchedOff, 'certificate')).toBeUndefined();
      expect(headerNameFor(renamed, 'verification')).toBe(
        DEFAULT_HEADER_NAMES['app-gateway'].verification?.toLowerCase(),
      );
    }
  });
});
