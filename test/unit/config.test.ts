import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTINGS } from '../../shared/config.js';

const base = {
  CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  CERTGATE_GATEWAY_SECRETS: 'a-secret-of-sixteen-plus',
};

function settingOf(env: Record<string, string | undefined>): string | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error.setting;
    throw error;
  }
}

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig(base);
    expect(config.gateway.kind).toBe('app-gateway');
    expect(config.gateway.mode).toBe('passthrough');
    expect(config.gateway.secretHeader).toBe('X-Certgate-Gateway-Secret');
    expect(config.requiredEkus).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(config.clockSkewSeconds).toBe(60);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.gateway)).toBe(true);
    expect(() => {
      (config.gateway.secrets as string[]).push('x');
    }).toThrow();
  });

  it.each([
    {
      label: 'no storage at all',
      env: { CERTGATE_GATEWAY_SECRETS: base.CERTGATE_GATEWAY_SECRETS },
      setting: 'CERTGATE_STORAGE_CONNECTION_STRING',
    },
    {
      label: 'both storage settings',
      env: { ...base, CERTGATE_STORAGE_ACCOUNT_NAME: 'acct123' },
      setting: 'CERTGATE_STORAGE_CONNECTION_STRING',
    },
    {
      label: 'connection string that is not one',
      env: { ...base, CERTGATE_STORAGE_CONNECTION_STRING: 'hello' },
      setting: 'CERTGATE_STORAGE_CONNECTION_STRING',
    },
    {
      label: 'bad account name',
      env: { CERTGATE_GATEWAY_SECRETS: base.CERTGATE_GATEWAY_SECRETS, CERTGATE_STORAGE_ACCOUNT_NAME: 'Bad_Name' },
      setting: 'CERTGATE_STORAGE_ACCOUNT_NAME',
    },
    {
      label: 'no gateway proof',
      env: { CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true' },
      setting: 'CERTGATE_GATEWAY_SECRETS',
    },
    { label: 'short secret', env: { ...base, CERTGATE_GATEWAY_SECRETS: 'short' }, setting: 'CERTGATE_GATEWAY_SECRETS' },
    {
      label: 'unknown gateway kind',
      env: { ...base, CERTGATE_GATEWAY_KIND: 'no-such-gateway' },
      setting: 'CERTGATE_GATEWAY_KIND',
    },
    { label: 'unknown mode', env: { ...base, CERTGATE_GATEWAY_MODE: 'lenient' }, setting: 'CERTGATE_GATEWAY_MODE' },
    {
      label: 'skew not a number',
      env: { ...base, CERTGATE_CLOCK_SKEW_SECONDS: 'ten' },
      setting: 'CERTGATE_CLOCK_SKEW_SECONDS',
    },
    {
      label: 'skew too large',
      env: { ...base, CERTGATE_CLOCK_SKEW_SECONDS: '86400' },
      setting: 'CERTGATE_CLOCK_SKEW_SECONDS',
    },
    {
      label: 'EKU not an OID',
      env: { ...base, CERTGATE_REQUIRED_EKUS: 'clientAuth' },
      setting: 'CERTGATE_REQUIRED_EKUS',
    },
    {
      label: 'proxy not a CIDR',
      env: { ...base, CERTGATE_TRUSTED_PROXIES: '10.0.0.1' },
      setting: 'CERTGATE_TRUSTED_PROXIES',
    },
    {
      label: 'header overrides not JSON',
      env: { ...base, CERTGATE_GATEWAY_HEADERS: '{certificate:' },
      setting: 'CERTGATE_GATEWAY_HEADERS',
    },
    {
      label: 'header override for an unknown role',
      env: { ...base, CERTGATE_GATEWAY_HEADERS: '{"cert":"X-A"}' },
      setting: 'CERTGATE_GATEWAY_HEADERS',
    },
    {
      label: 'additional gateway without proof',
      env: { ...base, CERTGATE_ADDITIONAL_GATEWAYS: '[{"kind":"nginx"}]' },
      setting: 'CERTGATE_ADDITIONAL_GATEWAYS',
    },
    {
      label: 'additional gateway of unknown kind',
      env: { ...base, CERTGATE_ADDITIONAL_GATEWAYS: '[{"kind":"iis","secrets":["0123456789abcdef"]}]' },
      setting: 'CERTGATE_ADDITIONAL_GATEWAYS',
    },
    {
      label: 'user token audience without a tenant',
      env: { ...base, CERTGATE_USER_TOKEN_AUDIENCE: 'api://portal' },
      setting: 'CERTGATE_USER_TOKEN_AUDIENCE',
    },
    {
      label: 'management token settings half set',
      env: { ...base, CERTGATE_MANAGEMENT_TOKEN_ISSUER: 'https://login.microsoftonline.com/t/v2.0' },
      setting: 'CERTGATE_MANAGEMENT_TOKEN_AUDIENCE',
    },
    {
      label: 'table prefix with a dash',
      env: { ...base, CERTGATE_TABLE_PREFIX: 'cert-gate' },
      setting: 'CERTGATE_TABLE_PREFIX',
    },
  ])('names the setting: $label', ({ env, setting }) => {
    expect(settingOf(env)).toBe(setting);
  });

  it('reads additional gateways and header overrides', () => {
    const config = loadConfig({
      ...base,
      CERTGATE_GATEWAY_HEADERS: '{"certificate":"X-SSL-Client-Cert","verification":""}',
      CERTGATE_ADDITIONAL_GATEWAYS:
        '[{"kind":"front-door","frontDoorId":"a0b1c2d3-0000-4000-8000-000000000000"},{"kind":"envoy","trustedProxies":["10.1.0.0/16"],"xfccElement":"first"}]',
    });
    expect(config.gateway.headers).toEqual({ certificate: 'X-SSL-Client-Cert', verification: '' });
    expect(config.additionalGateways.map((g) => g.kind)).toEqual(['front-door', 'envoy']);
  });

  it('accepts managed identity, trusted proxies instead of a secret, and "none" EKUs', () => {
    const config = loadConfig({
      CERTGATE_STORAGE_ACCOUNT_NAME: 'certgatedev01',
      CERTGATE_TRUSTED_PROXIES: '10.0.1.0/24, fd00::/8',
      CERTGATE_REQUIRED_EKUS: 'none',
    });
    expect(config.storage).toEqual({ kind: 'managed-identity', accountName: 'certgatedev01' });
    expect(config.gateway.trustedProxies).toEqual(['10.0.1.0/24', 'fd00::/8']);
    expect(config.requiredEkus).toEqual([]);
  });

  it('documents every setting it reads, and the sample settings file lists exactly those', () => {
    const source = readFileSync(new URL('../../shared/config.ts', import.meta.url), 'utf8').replace(
      /export const SETTINGS = \{[\s\S]*?\} as const;/,
      '',
    );
    // certgate's own settings, and the one platform setting it reads (Application Insights).
    const read = new Set(source.match(/(?:CERTGATE|APPLICATIONINSIGHTS)_[A-Z_]+/g));
    expect([...read].sort()).toEqual(Object.keys(SETTINGS).sort());
    const sample = JSON.parse(readFileSync(new URL('../../local.settings.sample.json', import.meta.url), 'utf8')) as {
      Values: Record<string, string>;
    };
    const listed = Object.keys(sample.Values).filter((name) => /^(CERTGATE|APPLICATIONINSIGHTS)_/.test(name));
    expect(listed.sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it('the README settings table lists exactly the settings it reads', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = [
      ...new Set(
        [...readme.matchAll(/^\| `((?:CERTGATE|APPLICATIONINSIGHTS)_[A-Z_]+)` \|/gm)].map((match) => match[1]),
      ),
    ];
    expect(rows.sort()).toEqual(Object.keys(SETTINGS).sort());
  });

  it('has every tunable of the decision path as a setting, with its default', () => {
    const config = loadConfig(base);
    expect(config.ocsp).toEqual({ timeoutMs: 3000, cacheEntries: 10_000 });
    expect(config.crlDeadlines).toEqual({ loadMs: 5000, firstUseMs: 3000 });
    expect(config.crlFetch).toEqual({ timeoutMs: 10_000, maxBytes: 50 * 1024 * 1024 });
    expect(config.verdictCache).toEqual({ maxEntries: 10_000, successSeconds: 60, failureSeconds: 5 });
    expect(config.decisionPathPatienceMs).toBe(50);
    const tuned = loadConfig({
      ...base,
      CERTGATE_OCSP_TIMEOUT_MS: '1500',
      CERTGATE_CRL_FIRST_USE_TIMEOUT_MS: '0',
      CERTGATE_VERDICT_CACHE_ENTRIES: '500',
    });
    expect(tuned.ocsp.timeoutMs).toBe(1500);
    expect(tuned.crlDeadlines.firstUseMs).toBe(0);
    expect(tuned.verdictCache.maxEntries).toBe(500);
  });

  it.each([
    'CERTGATE_OCSP_TIMEOUT_MS',
    'CERTGATE_OCSP_CACHE_ENTRIES',
    'CERTGATE_CRL_LOAD_TIMEOUT_MS',
    'CERTGATE_CRL_FIRST_USE_TIMEOUT_MS',
    'CERTGATE_CRL_FETCH_TIMEOUT_MS',
    'CERTGATE_CRL_MAX_BYTES',
    'CERTGATE_VERDICT_CACHE_ENTRIES',
    'CERTGATE_VERDICT_CACHE_SECONDS',
    'CERTGATE_VERDICT_FAILURE_CACHE_SECONDS',
    'CERTGATE_DECISION_PATH_PATIENCE_MS',
  ])('names the tunable when it is not a number in range: %s', (setting) => {
    expect(settingOf({ ...base, [setting]: 'soon' })).toBe(setting);
    expect(settingOf({ ...base, [setting]: '-1' })).toBe(setting);
  });

  it('accepts the sample settings file as it is', () => {
    const sample = JSON.parse(readFileSync(new URL('../../local.settings.sample.json', import.meta.url), 'utf8')) as {
      Values: Record<string, string>;
    };
    expect(() => loadConfig(sample.Values)).not.toThrow();
  });
});
