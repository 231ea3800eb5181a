/**
 * The intake shares what it built for one request with the next ones (gateway proofs by outcome,
 * `present` results by decoded values, proof and gateway verdict): a shared result must be exactly
 * what a fresh read gives, and each outcome must keep its own.
 */
import { describe, expect, it } from 'vitest';
import { readForwardedCertificate, type GatewayConfig } from '../../../shared/cert/intake/index.js';
import { proveGateway } from '../../../shared/cert/intake/gatewayProof.js';
import { fetchRequest, leaf, otherLeaf, pemOf } from './intakeFixtures.js';

const SECRET_HEADER = 'x-certgate-gateway-secret';
const gateway: GatewayConfig = {
  kind: 'nginx',
  secrets: ['first-secret-0123456789', 'second-secret-0123456789'],
  trustedProxies: ['10.0.0.0/8'],
};

describe('shared intake results', () => {
  it('a proof is shared between requests with the same outcome, and every outcome keeps its own notes', () => {
    const prove = (secret: string | undefined, peer: string | undefined) =>
      proveGateway(gateway, fetchRequest(secret === undefined ? {} : { [SECRET_HEADER]: secret }, peer));
    const first = prove('first-secret-0123456789', '10.1.2.3');
    expect(first).toEqual({
      proven: true,
      notes: ['nginx: gateway secret #1 of 2 accepted', 'nginx: peer 10.1.2.3 is a trusted proxy'],
    });
    expect(prove('first-secret-0123456789', '10.1.2.3')).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.notes)).toBe(true);
    expect(prove('second-secret-0123456789', '10.1.2.3').notes[0]).toBe('nginx: gateway secret #2 of 2 accepted');
    expect(prove('wrong-secret-0123456789', '10.1.2.3')).toEqual({
      proven: false,
      notes: ['nginx: gateway secret wrong', 'nginx: peer 10.1.2.3 is a trusted proxy'],
    });
    expect(prove(undefined, '10.1.2.3').notes[0]).toBe('nginx: gateway secret missing or repeated');
    expect(prove('first-secret-0123456789', '10.9.9.9').notes[1]).toBe('nginx: peer 10.9.9.9 is a trusted proxy');
    expect(prove('first-secret-0123456789', '192.0.2.1')).toEqual({
      proven: false,
      notes: ['nginx: gateway secret #1 of 2 accepted', 'nginx: peer 192.0.2.1 is not a trusted proxy'],
    });
    expect(prove('first-secret-0123456789', undefined).notes[1]).toBe('nginx: peer address unknown');
    expect(prove('first-secret-0123456789', '10.1.2.3')).toBe(first);
  });

  it('a present result is shared for the same certificate, proof and verdict, and differs when any of them does', () => {
    const read = (certificate: Uint8Array, verify: string | undefined, peer = '10.1.2.3') =>
      readForwardedCertificate(
        fetchRequest(
          {
            [SECRET_HEADER]: 'first-secret-0123456789',
            'x-ssl-client-cert': encodeURIComponent(pemOf(certificate)),
            ...(verify === undefined ? {} : { 'x-ssl-client-verify': verify }),
          },
          peer,
        ),
        [gateway],
      );
    const first = read(leaf, 'SUCCESS');
    expect(first).toMatchObject({ kind: 'present', gatewayVerification: { status: 'success' } });
    expect(read(leaf, 'SUCCESS')).toBe(first);
    expect(read(leaf, 'FAILED:certificate has expired')).toMatchObject({
      kind: 'present',
      gatewayVerification: { status: 'failed', detail: 'certificate has expired' },
    });
    expect(read(leaf, undefined)).toMatchObject({ gatewayVerification: { status: 'not-provided' } });
    const other = read(otherLeaf, 'SUCCESS');
    expect(other).not.toBe(first);
    expect(other.kind === 'present' && Buffer.from(other.leaf).equals(Buffer.from(otherLeaf))).toBe(true);
    const viaOtherProxy = read(leaf, 'SUCCESS', '10.7.7.7');
    expect(viaOtherProxy.kind === 'present' && viaOtherProxy.trace).toContain(
      'nginx: peer 10.7.7.7 is a trusted proxy',
    );
    expect(read(leaf, 'SUCCESS')).toBe(first);
  });
});
