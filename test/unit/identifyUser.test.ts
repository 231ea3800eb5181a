import { describe, expect, it } from 'vitest';
import { identifyUser } from '../../shared/accessPipeline.js';
import type { Services } from '../../shared/composition.js';

const now = new Date('2026-11-22T12:00:00Z');
const principalHeader = Buffer.from(
  JSON.stringify({
    auth_typ: 'aad',
    claims: [
      {
        typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
        val: '11111111-2222-4333-8444-555555555555',
      },
      { typ: 'http://schemas.microsoft.com/identity/claims/tenantid', val: '72f988bf-0000-4000-8000-00000000c0de' },
      { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', val: 'alice@contoso.example' },
    ],
  }),
).toString('base64');

function services(trustAppServiceAuth: boolean): Services {
  return { config: { trustAppServiceAuth } } as unknown as Services;
}

describe('identifyUser', () => {
  it('believes App Service Authentication headers only when configured to', async () => {
    const headers = new Headers({
      'x-ms-client-principal': principalHeader,
      'x-ms-client-principal-id': '11111111-2222-4333-8444-555555555555',
    });
    expect((await identifyUser(services(true), headers, now)).principal?.upn).toBe('alice@contoso.example');
    expect((await identifyUser(services(false), headers, now)).principal).toBeUndefined();
  });

  it('without a token verifier and without trusted headers there is no user', async () => {
    expect(await identifyUser(services(false), new Headers({ authorization: 'Bearer abc.def.ghi' }), now)).toEqual({});
    expect(
      await identifyUser(services(true), new Headers({ 'x-ms-client-principal': 'not base64 json' }), now),
    ).toEqual({});
  });
});
