/**
 * App hints (`?app=` / `X-Certgate-App`): the client never chooses the app. A hint counts only
 * when the admin allowed the gateway to name apps and the request carries that gateway's proof;
 * off by default; a repeated hint is ambiguous and ignored.
 */
import { describe, expect, it } from 'vitest';
import { forwardedRequestOf } from '../../shared/cert/intake/index.js';
import { loadConfig } from '../../shared/config.js';
import { appHintOf, gatewayConfigs } from '../../shared/gateways.js';

const SECRET = 'app-hints-gateway-secret-0123456789';
const base = { CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true', CERTGATE_GATEWAY_SECRETS: SECRET };

function hintOf(env: Record<string, string>, url: string, headers: Record<string, string>): string | undefined {
  const config = loadConfig({ ...base, ...env });
  const request = forwardedRequestOf(new Headers(headers), url);
  return appHintOf(request, new URL(url).searchParams, gatewayConfigs(config), config);
}

const proven = { 'x-certgate-gateway-secret': SECRET };

interface Case {
  readonly label: string;
  readonly env: Record<string, string>;
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly expected: string | undefined;
}

describe('app hints', () => {
  it.each<Case>([
    {
      label: 'off by default, even with the proof',
      env: {},
      url: 'http://h/api/authorize?app=payroll',
      headers: proven,
      expected: undefined,
    },
    {
      label: 'on, with the proof, from the query',
      env: { CERTGATE_GATEWAY_APP_HINTS: 'on' },
      url: 'http://h/api/authorize?app=payroll',
      headers: proven,
      expected: 'payroll',
    },
    {
      label: 'on, with the proof, from the header',
      env: { CERTGATE_GATEWAY_APP_HINTS: 'on' },
      url: 'http://h/api/authorize',
      headers: { ...proven, 'x-certgate-app': 'payroll' },
      expected: 'payroll',
    },
    {
      label: 'on, without the proof',
      env: { CERTGATE_GATEWAY_APP_HINTS: 'on' },
      url: 'http://h/api/authorize?app=payroll',
      headers: {},
      expected: undefined,
    },
    {
      label: 'on, with a wrong secret',
      env: { CERTGATE_GATEWAY_APP_HINTS: 'on' },
      url: 'http://h/api/authorize?app=payroll',
      headers: { 'x-certgate-gateway-secret': 'wrong-secret-000000000000' },
      expected: undefined,
    },
    {
      label: 'on, repeated in the query',
      env: { CERTGATE_GATEWAY_APP_HINTS: 'on' },
      url: 'http://h/api/authorize?app=payroll&app=wiki',
      headers: proven,
      expected: undefined,
    },
    {
      label: 'on, in both query and header',
      env: { CERTGATE_GATEWAY_APP_HINTS: 'on' },
      url: 'http://h/api/authorize?app=payroll',
      headers: { ...proven, 'x-certgate-app': 'payroll' },
      expected: undefined,
    },
    {
      label: 'on, a joined repeated header',
      env: { CERTGATE_GATEWAY_APP_HINTS: 'on' },
      url: 'http://h/api/authorize',
      headers: { ...proven, 'x-certgate-app': 'payroll, wiki' },
      expected: undefined,
    },
  ])('$label', ({ env, url, headers, expected }) => {
    expect(hintOf(env, url, headers)).toBe(expected);
  });

  it('a bad value of the setting stops start-up naming it', () => {
    expect(() => loadConfig({ ...base, CERTGATE_GATEWAY_APP_HINTS: 'yes' })).toThrow(/CERTGATE_GATEWAY_APP_HINTS/);
  });

  it('an additional gateway may be allowed on its own', () => {
    const other = 'other-gateway-secret-0123456789';
    const env = { CERTGATE_ADDITIONAL_GATEWAYS: JSON.stringify([{ kind: 'nginx', secrets: [other], appHints: true }]) };
    expect(hintOf(env, 'http://h/x?app=payroll', { 'x-certgate-gateway-secret': other })).toBe('payroll');
    expect(hintOf(env, 'http://h/x?app=payroll', proven)).toBeUndefined();
  });
});
