/**
 * The step-1 scenarios through every emulated gateway format (one local gateway per format, each
 * with its own secret, all in front of the same functions), and a fuzz run of the authorize
 * endpoint: mutated headers of every format never produce a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalGateway } from '../../dev/gateway/index.js';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';
import { gatewayRequest } from '../../dev/tour.js';
import { everyGatewaySettings, fuzzAuthorize, fuzzTargetFor } from '../../scripts/fuzzAuthorize.js';
import { GATEWAY_KINDS, type GatewayKind } from '../../shared/cert/intake/index.js';

const secretOf = (kind: GatewayKind) => `e2e-secret-for-${kind}-0123456789`;
let stack: Stack;
const gateways = new Map<GatewayKind, { url: string; close(): Promise<void> }>();

beforeAll(async () => {
  stack = await startEphemeralStack('formats', everyGatewaySettings(secretOf));
  for (const kind of GATEWAY_KINDS) {
    gateways.set(
      kind,
      await startLocalGateway({
        host: '127.0.0.1',
        port: 0,
        upstream: stack.hostUrl,
        serverCertPem: stack.pki.gateway.chainPem,
        serverKeyPem: stack.pki.gateway.keyPem,
        clientCaPems: [stack.pki.root.certPem, stack.pki.intermediate.certPem],
        format: kind,
        secretHeader: stack.config.gateway.secretHeader,
        secret: secretOf(kind),
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  for (const gateway of gateways.values()) await gateway.close();
  await stack.close();
});

const scenarios = [
  { client: 'alice', status: 200, reasons: ['client-certificate-valid'] },
  { client: undefined, status: 403, reasons: ['client-certificate-required'] },
  { client: 'expired', status: 403, reasons: ['client-certificate-invalid', 'certificate-expired'] },
  { client: 'not-yet-valid', status: 403, reasons: ['client-certificate-invalid', 'certificate-not-yet-valid'] },
  { client: 'untrusted', status: 403, reasons: ['client-certificate-invalid', 'certificate-untrusted'] },
  { client: 'no-client-auth', status: 403, reasons: ['client-certificate-invalid', 'certificate-eku-missing'] },
];

describe.each(GATEWAY_KINDS.map((kind) => ({ kind })))('through a $kind gateway', ({ kind }) => {
  it('gives every scenario its stated outcome', async () => {
    const gateway = gateways.get(kind)!;
    const viaThisGateway = { ...stack, gatewayUrl: gateway.url };
    for (const scenario of scenarios) {
      const client = scenario.client ? stack.pki.users[scenario.client] : undefined;
      const { status, body } = await gatewayRequest(viaThisGateway, '/api/authorize', client);
      expect({ kind, client: scenario.client, status }).toEqual({
        kind,
        client: scenario.client,
        status: scenario.status,
      });
      expect(body).toMatchObject({ reasons: expect.arrayContaining(scenario.reasons) });
    }
  });
});

describe('fuzzed certificate headers, straight to the functions', () => {
  it('never produce a 5xx or a dropped connection', async () => {
    const report = await fuzzAuthorize(fuzzTargetFor(stack, secretOf), 3000, 7, 8);
    expect(report.examples).toEqual([]);
    expect(report.serverErrors).toBe(0);
    expect(report.transportErrors).toBe(0);
    expect(Object.keys(report.byStatus).sort()).toEqual(expect.arrayContaining(['200', '400', '401', '403']));
  }, 120_000);
});
