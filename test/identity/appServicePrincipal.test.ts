import { describe, expect, it } from 'vitest';
import { principalFromAppServiceHeaders, type AppServicePrincipalReason } from '../../shared/identity/index.js';

const OID = '0a1b2c3d-0000-4000-8000-000000000001';
const TID = '72f988bf-0000-4000-8000-00000000c0de';

function encode(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64');
}

const USER_PRINCIPAL = {
  auth_typ: 'aad',
  name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  claims: [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: OID },
    { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: TID },
    { typ: 'preferred_username', val: 'alice@contoso.example' },
    { typ: 'name', val: 'Alice' },
    { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'Certgate.Reader' },
    { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'Certgate.Admin' },
    { typ: 'groups', val: 'g-1' },
    { typ: 'aud', val: 'ignored' },
  ],
};

function headers(values: Record<string, string>): Headers {
  return new Headers(values);
}

describe('principalFromAppServiceHeaders', () => {
  it('reads the principal App Service Authentication signed in', () => {
    const result = principalFromAppServiceHeaders(
      headers({
        'X-MS-CLIENT-PRINCIPAL': encode(USER_PRINCIPAL),
        'X-MS-CLIENT-PRINCIPAL-ID': OID,
        'X-MS-CLIENT-PRINCIPAL-NAME': 'alice@contoso.example',
      }),
      {
        trustAppServiceAuthentication: true,
      },
    );
    expect(result).toEqual({
      ok: true,
      principal: {
        objectId: OID,
        tenantId: TID,
        upn: 'alice@contoso.example',
        name: 'Alice',
        roles: ['Certgate.Reader', 'Certgate.Admin'],
        groups: ['g-1'],
        kind: 'user',
      },
    });
  });

  it('treats a principal without a user name and with idtyp app as an application', () => {
    const app = {
      auth_typ: 'aad',
      claims: [
        { typ: 'oid', val: OID },
        { typ: 'tid', val: TID },
        { typ: 'roles', val: 'Certgate.Reader' },
        { typ: 'azp', val: 'client-1' },
        { typ: 'idtyp', val: 'app' },
      ],
    };
    const result = principalFromAppServiceHeaders(headers({ 'X-MS-CLIENT-PRINCIPAL': encode(app) }), {
      trustAppServiceAuthentication: true,
    });
    expect(result.ok && result.principal).toMatchObject({ kind: 'app', appId: 'client-1', roles: ['Certgate.Reader'] });
  });

  const refusals: {
    label: string;
    values: Record<string, string>;
    trusted: boolean;
    expected: AppServicePrincipalReason;
  }[] = [
    {
      label: 'headers sent to an app not behind App Service auth (spoofing)',
      values: { 'X-MS-CLIENT-PRINCIPAL': encode(USER_PRINCIPAL) },
      trusted: false,
      expected: 'app-service-principal-untrusted',
    },
    {
      label: 'only the id header, untrusted',
      values: { 'X-MS-CLIENT-PRINCIPAL-ID': OID },
      trusted: false,
      expected: 'app-service-principal-untrusted',
    },
    { label: 'nothing, untrusted', values: {}, trusted: false, expected: 'app-service-principal-missing' },
    { label: 'nothing, trusted', values: {}, trusted: true, expected: 'app-service-principal-missing' },
    {
      label: 'id without the principal',
      values: { 'X-MS-CLIENT-PRINCIPAL-ID': OID },
      trusted: true,
      expected: 'app-service-principal-missing',
    },
    {
      label: 'not base64',
      values: { 'X-MS-CLIENT-PRINCIPAL': '{"claims":[]}' },
      trusted: true,
      expected: 'app-service-principal-malformed',
    },
    {
      label: 'base64 of non-JSON',
      values: { 'X-MS-CLIENT-PRINCIPAL': Buffer.from('hello there').toString('base64') },
      trusted: true,
      expected: 'app-service-principal-malformed',
    },
    {
      label: 'JSON of the wrong shape',
      values: { 'X-MS-CLIENT-PRINCIPAL': encode({ claims: 'none' }) },
      trusted: true,
      expected: 'app-service-principal-malformed',
    },
    {
      label: 'claims without oid',
      values: { 'X-MS-CLIENT-PRINCIPAL': encode({ claims: [{ typ: 'tid', val: TID }] }) },
      trusted: true,
      expected: 'app-service-principal-malformed',
    },
    {
      label: 'another identity provider',
      values: { 'X-MS-CLIENT-PRINCIPAL': encode({ ...USER_PRINCIPAL, auth_typ: 'github' }) },
      trusted: true,
      expected: 'app-service-principal-malformed',
    },
    {
      label: 'id header disagrees',
      values: { 'X-MS-CLIENT-PRINCIPAL': encode(USER_PRINCIPAL), 'X-MS-CLIENT-PRINCIPAL-ID': 'someone-else' },
      trusted: true,
      expected: 'app-service-principal-malformed',
    },
    {
      label: 'oversized',
      values: { 'X-MS-CLIENT-PRINCIPAL': 'A'.repeat(70_000) },
      trusted: true,
      expected: 'app-service-principal-malformed',
    },
  ];
  it.each(refusals)('$label → $expected', ({ values, trusted, expected }) => {
    const result = principalFromAppServiceHeaders(headers(values), { trustAppServiceAuthentication: trusted });
    expect(result.ok ? 'ok' : result.reason).toBe(expected);
  });

  it('refuses a repeated principal header (values joined with a comma)', () => {
    const repeated = new Headers();
    repeated.append('X-MS-CLIENT-PRINCIPAL', encode(USER_PRINCIPAL));
    repeated.append('X-MS-CLIENT-PRINCIPAL', encode(USER_PRINCIPAL));
    const result = principalFromAppServiceHeaders(repeated, { trustAppServiceAuthentication: true });
    expect(result.ok ? 'ok' : result.reason).toBe('app-service-principal-malformed');
  });
});
