/**
 * The gate's tour end to end on the running local stack (demo policies loaded): client → TLS
 * gateway → certgate's gate → Contoso Files. Every gate step gives the outcome it states (alice
 * without a certificate: list yes, download blocked, the block page for a browser; with the device
 * certificate: the download, whole; alice may upload, erin the vendor may not), and the sample app really
 * accepts only the gate: it verifies the signed assertion against certgate's JWKS, refuses a direct
 * request with forged identity headers, and a client-sent X-Certgate-User never reaches it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gateTourSteps, signedIn, throughGateway } from '../../dev/gateTour.js';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startEphemeralStack('gatetour', {}, { demoPolicies: true });
}, 120_000);
afterAll(async () => {
  await stack.close();
});

describe('the gate tour: Contoso Files behind the gateway and certgate', () => {
  it('every gate step gives the outcome it states', async () => {
    const steps = gateTourSteps(stack, process.cwd());
    expect(steps.length).toBe(6);
    for (const step of steps) {
      const result = await step.run();
      expect({ step: step.title, status: result.status }).toEqual({ step: step.title, status: step.expected.status });
      for (const reason of step.expected.reasons) expect(result.reasons, step.title).toContain(reason);
    }
    // The app stored alice's upload and not erin's; the uploader it names is the gate's, from the token.
    expect(stack.contosoFiles.uploads().map((u) => u.uploadedBy)).toEqual(['alice@contoso.example']);
  });

  it('the app sees who and what from the gate, with an assertion that verifies; a client-sent identity never arrives', async () => {
    const device = stack.pki.users.device!;
    const answer = await throughGateway(stack, {
      path: '/whoami?format=json',
      client: device,
      headers: { 'x-certgate-user': 'mallory@evil.example', 'x-certgate-assertion': 'forged' },
    });
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.body.toString('utf8')) as {
      headers: Record<string, string>;
      assertion: { verified: boolean; claims: Record<string, unknown> };
    };
    expect(seen.assertion.verified).toBe(true);
    expect(seen.assertion.claims.aud).toBe('contoso-files');
    expect(seen.headers['x-certgate-user']).not.toBe('mallory@evil.example');
    expect(seen.headers['x-certgate-device-tags']).toMatch(/compliant/);
    expect(seen.headers['x-certgate-decision-id']).toMatch(/\S/);
  });

  it('straight to the app, forged identity headers get 401: it accepts only the gate', async () => {
    const response = await fetch(`${stack.contosoFiles.url}/files/q3.xlsx?download=1`, {
      headers: {
        'x-certgate-user': 'alice@contoso.example',
        'x-certgate-device-tags': 'compliant',
        accept: 'application/json',
      },
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: { code: 'assertion-missing' } });
  });

  it('the other spelling of a download (/download/<name>) and the big streamed CSV are blocked too for alice without a certificate', async () => {
    for (const path of ['/download/handbook.pdf', '/files/dataset.csv?download=1']) {
      const headers = { accept: 'application/json', ...(await signedIn(stack, 'alice@contoso.example')) };
      const answer = await throughGateway(stack, { path, headers });
      expect({ path, status: answer.status }).toEqual({ path, status: 403 });
      expect(JSON.parse(answer.body.toString('utf8'))).toMatchObject({ reasons: ['session-download-blocked'] });
    }
  });
});
