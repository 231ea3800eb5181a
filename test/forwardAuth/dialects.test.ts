/**
 * The forward-auth dialects without a server: each proxy's description of the original request
 * read into method, host and URI, and every way a description can be missing or unusable named by
 * its stable code. Table-driven; the labels state the rule.
 */
import { describe, expect, it } from 'vitest';
import { apimDialect } from '../../shared/forwardAuth/dialects/apim.js';
import { envoyDialect } from '../../shared/forwardAuth/dialects/envoy.js';
import { forwardAuthDialectOf } from '../../shared/forwardAuth/dialects/index.js';
import { nginxDialect } from '../../shared/forwardAuth/dialects/nginx.js';
import { traefikDialect } from '../../shared/forwardAuth/dialects/traefik.js';
import type { ForwardAuthDialect } from '../../shared/forwardAuth/originalRequest.js';

interface Case {
  readonly label: string;
  readonly dialect: ForwardAuthDialect;
  readonly method?: string;
  readonly url?: string;
  readonly headers: Record<string, string>;
  readonly expected: { method: string; host: string; uri: string; proto?: string } | { reason: string };
}

const nginx = (headers: Record<string, string>) => ({
  'x-original-method': 'GET',
  'x-original-host': 'files.contoso.example',
  'x-original-uri': '/reports/q3.xlsx?download=1',
  ...headers,
});
const traefik = (headers: Record<string, string>) => ({
  'x-forwarded-method': 'POST',
  'x-forwarded-host': 'files.contoso.example',
  'x-forwarded-uri': '/upload',
  'x-forwarded-proto': 'https',
  ...headers,
});
const BASE = 'http://certgate.internal/api/forward-auth/envoy';

const cases: Case[] = [
  {
    label: 'nginx: the three X-Original-* headers, the host lower-cased, the query kept',
    dialect: nginxDialect,
    headers: nginx({ 'x-original-host': 'Files.Contoso.Example', 'x-original-proto': 'https' }),
    expected: { method: 'GET', host: 'files.contoso.example', uri: '/reports/q3.xlsx?download=1', proto: 'https' },
  },
  {
    label: 'nginx: a host with a port and a bracketed IPv6 host are hosts',
    dialect: nginxDialect,
    headers: nginx({ 'x-original-host': '[2001:db8::1]:8443' }),
    expected: { method: 'GET', host: '[2001:db8::1]:8443', uri: '/reports/q3.xlsx?download=1' },
  },
  {
    label: 'nginx: no X-Original-URI is a missing URI',
    dialect: nginxDialect,
    headers: { 'x-original-method': 'GET', 'x-original-host': 'files.contoso.example' },
    expected: { reason: 'forward-auth-original-uri-missing' },
  },
  {
    label: 'nginx: an empty X-Original-Method is a missing method',
    dialect: nginxDialect,
    headers: nginx({ 'x-original-method': ' ' }),
    expected: { reason: 'forward-auth-original-method-missing' },
  },
  {
    label: 'nginx: a method with a space is not a method token',
    dialect: nginxDialect,
    headers: nginx({ 'x-original-method': 'GET /admin' }),
    expected: { reason: 'forward-auth-original-method-invalid' },
  },
  {
    label: 'nginx: a joined repeat of the host is not a host',
    dialect: nginxDialect,
    headers: nginx({ 'x-original-host': 'files.contoso.example, evil.example' }),
    expected: { reason: 'forward-auth-original-host-invalid' },
  },
  {
    label: 'nginx: a scheme-relative URI is not origin-form',
    dialect: nginxDialect,
    headers: nginx({ 'x-original-uri': '//evil.example/x' }),
    expected: { reason: 'forward-auth-original-uri-invalid' },
  },
  {
    label: 'nginx: an absolute URI is not origin-form',
    dialect: nginxDialect,
    headers: nginx({ 'x-original-uri': 'https://files.contoso.example/x' }),
    expected: { reason: 'forward-auth-original-uri-invalid' },
  },
  {
    label: 'nginx: a URI with a space is not a request URI',
    dialect: nginxDialect,
    headers: nginx({ 'x-original-uri': '/a b' }),
    expected: { reason: 'forward-auth-original-uri-invalid' },
  },
  {
    label: 'nginx: a URI over 8 KiB is refused',
    dialect: nginxDialect,
    headers: nginx({ 'x-original-uri': `/${'a'.repeat(8192)}` }),
    expected: { reason: 'forward-auth-original-uri-invalid' },
  },
  {
    label: 'traefik: X-Forwarded-Method/-Host/-Uri/-Proto',
    dialect: traefikDialect,
    headers: traefik({}),
    expected: { method: 'POST', host: 'files.contoso.example', uri: '/upload', proto: 'https' },
  },
  {
    label: 'traefik: an unknown proto is left out',
    dialect: traefikDialect,
    headers: traefik({ 'x-forwarded-proto': 'wss' }),
    expected: { method: 'POST', host: 'files.contoso.example', uri: '/upload' },
  },
  {
    label: 'traefik: no X-Forwarded-Host is a missing host',
    dialect: traefikDialect,
    headers: { 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/' },
    expected: { reason: 'forward-auth-original-host-missing' },
  },
  {
    label: 'envoy: the method is the call’s, the URI the path after the prefix with its query, the host the Host',
    dialect: envoyDialect,
    method: 'DELETE',
    url: `${BASE}/files/q3.xlsx?version=2`,
    headers: { host: 'files.contoso.example' },
    expected: { method: 'DELETE', host: 'files.contoso.example', uri: '/files/q3.xlsx?version=2' },
  },
  {
    label: 'envoy: the root path is a URI',
    dialect: envoyDialect,
    method: 'GET',
    url: `${BASE}/`,
    headers: { host: 'files.contoso.example' },
    expected: { method: 'GET', host: 'files.contoso.example', uri: '/' },
  },
  {
    label: 'envoy: the route matches case-insensitively, the original path keeps its case',
    dialect: envoyDialect,
    method: 'GET',
    url: 'http://certgate.internal/API/Forward-Auth/Envoy/Reports/Q3',
    headers: { host: 'files.contoso.example' },
    expected: { method: 'GET', host: 'files.contoso.example', uri: '/Reports/Q3' },
  },
  {
    label: 'envoy: nothing after the prefix is a missing URI',
    dialect: envoyDialect,
    method: 'GET',
    url: BASE,
    headers: { host: 'files.contoso.example' },
    expected: { reason: 'forward-auth-original-uri-missing' },
  },
  {
    label: 'apim: X-Original-URL gives host, port, path and query',
    dialect: apimDialect,
    headers: { 'x-original-method': 'PUT', 'x-original-url': 'https://api.contoso.example:8443/orders/7?x=1' },
    expected: { method: 'PUT', host: 'api.contoso.example:8443', uri: '/orders/7?x=1', proto: 'https' },
  },
  {
    label: 'apim: a relative X-Original-URL is not an absolute URL',
    dialect: apimDialect,
    headers: { 'x-original-method': 'GET', 'x-original-url': '/orders' },
    expected: { reason: 'forward-auth-original-uri-invalid' },
  },
  {
    label: 'apim: user information in the URL is refused',
    dialect: apimDialect,
    headers: { 'x-original-method': 'GET', 'x-original-url': 'https://admin:pw@api.contoso.example/' },
    expected: { reason: 'forward-auth-original-uri-invalid' },
  },
  {
    label: 'apim: a non-http scheme is refused',
    dialect: apimDialect,
    headers: { 'x-original-method': 'GET', 'x-original-url': 'ftp://api.contoso.example/' },
    expected: { reason: 'forward-auth-original-uri-invalid' },
  },
  {
    label: 'apim: no X-Original-URL is a missing URI',
    dialect: apimDialect,
    headers: { 'x-original-method': 'GET' },
    expected: { reason: 'forward-auth-original-uri-missing' },
  },
];

describe('forward-auth dialects', () => {
  it.each(cases)('$label', ({ dialect, method, url, headers, expected }) => {
    const reading = dialect.read(
      {
        method: method ?? 'GET',
        url: url ?? 'http://certgate.internal/api/forward-auth/x',
        headers: new Headers(headers),
      },
      `/api/forward-auth/${dialect.name}`,
    );
    if ('reason' in expected) expect(reading).toMatchObject({ ok: false, reason: expected.reason });
    else expect(reading).toEqual({ ok: true, original: expected });
  });

  it('the registry finds a dialect by its route segment in any case, and nothing else', () => {
    expect(forwardAuthDialectOf('NGINX')).toBe(nginxDialect);
    expect(forwardAuthDialectOf('haproxy')).toBeUndefined();
    expect(forwardAuthDialectOf('__proto__')).toBeUndefined();
    expect(forwardAuthDialectOf(undefined)).toBeUndefined();
  });
});
