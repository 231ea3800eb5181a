/**
 * Property tests of the evaluator on hostile bytes: random input and mutations of real responses
 * (from the loopback responder, signed by the CA and by a delegated responder) never throw and
 * always give a known reason; a change anywhere in the signed part, or in the included responder
 * certificate, never yields an accepted answer.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpOcspClient } from '../../../shared/adapters/httpOcspClient.js';
import {
  buildOcspRequest,
  evaluateOcspResponse,
  type OcspCertId,
  type OcspVerdict,
} from '../../../shared/cert/revocation/ocsp.js';
import { isOcspAnswerReason, isOcspReason } from '../../../shared/cert/revocation/ocspReasons.js';
import type { OcspTestCa } from '../../../dev/ocsp/ocspTestPki.js';
import type { OcspResponder } from '../../../dev/ocsp/responder.js';
import * as pkijs from 'pkijs';
import { NOW, createOcspWorld, createTestCa, startTestResponder, type OcspWorld } from './ocspFixtures.js';

let ca: OcspTestCa;
let world: OcspWorld;
let caSigned: OcspResponder;
let delegated: OcspResponder;
let certId: OcspCertId;
let caSignedDer: Uint8Array;
let delegatedDer: Uint8Array;

async function fetchDer(url: string): Promise<Uint8Array> {
  const request = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer });
  const result = await new HttpOcspClient().query(url, request.der);
  if (result.kind !== 'response') throw new Error(result.reason);
  return result.der;
}

beforeAll(async () => {
  ca = await createTestCa();
  caSigned = await startTestResponder(ca);
  delegated = await startTestResponder(ca, { signer: ca.responders.rsa });
  world = await createOcspWorld(ca, caSigned.url);
  certId = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer }).certId;
  caSignedDer = await fetchDer(caSigned.url);
  delegatedDer = await fetchDer(delegated.url);
});

afterAll(async () => {
  await caSigned.close();
  await delegated.close();
});

function evaluate(responseDer: Uint8Array): OcspVerdict {
  return evaluateOcspResponse({ responseDer, certId, issuerDer: ca.intermediate.certDer, now: NOW });
}

function expectWellFormedVerdict(verdict: OcspVerdict): void {
  expect(isOcspReason(verdict.reason)).toBe(true);
  if (!isOcspAnswerReason(verdict.reason)) expect(verdict.status).toBe('unknown');
}

/** Where `part` sits inside `whole`. */
function rangeOf(whole: Uint8Array, part: Uint8Array): { start: number; end: number } {
  const start = Buffer.from(whole).indexOf(Buffer.from(part));
  if (start < 0) throw new Error('part not found');
  return { start, end: start + part.byteLength };
}

function signedRange(responseDer: Uint8Array): { start: number; end: number } {
  const outer = pkijs.OCSPResponse.fromBER(responseDer);
  const basic = pkijs.BasicOCSPResponse.fromBER(outer.responseBytes!.response.valueBlock.valueHexView);
  return rangeOf(responseDer, basic.tbsResponseData.tbsView);
}

describe('evaluateOcspResponse on hostile bytes', () => {
  it('the unmodified responses are accepted (so the properties below are not vacuous)', () => {
    expect(evaluate(caSignedDer).reason).toBe('ocsp-good');
    expect(evaluate(delegatedDer)).toMatchObject({ reason: 'ocsp-good', signedBy: 'delegated-responder' });
  });

  it('random bytes never throw and never give an answer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const verdict = evaluate(bytes);
        expectWellFormedVerdict(verdict);
        expect(isOcspAnswerReason(verdict.reason)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes inside a well-formed OCSPResponse envelope never give an answer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (inner) => {
        // OCSPResponse { successful, [0] { ResponseBytes { id-pkix-ocsp-basic, OCTET STRING inner } } }
        const oid = [0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x01];
        const octets = [0x04, inner.byteLength, ...inner];
        const responseBytes = [0x30, oid.length + octets.length, ...oid, ...octets];
        const tagged = [0xa0, responseBytes.length, ...responseBytes];
        const der = new Uint8Array([0x30, 3 + tagged.length, 0x0a, 0x01, 0x00, ...tagged]);
        const verdict = evaluate(der);
        expectWellFormedVerdict(verdict);
        expect(isOcspAnswerReason(verdict.reason)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    { label: 'CA-signed', der: () => caSignedDer },
    { label: 'delegated', der: () => delegatedDer },
  ])('mutations of a $label response (flip, truncate, insert) never throw', ({ der }) => {
    const original = der();
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('flip' as const),
        at: fc.nat(original.byteLength - 1),
        mask: fc.integer({ min: 1, max: 255 }),
      }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(original.byteLength - 1), mask: fc.constant(0) }),
      fc.record({
        kind: fc.constant('insert' as const),
        at: fc.nat(original.byteLength),
        mask: fc.integer({ min: 0, max: 255 }),
      }),
    );
    fc.assert(
      fc.property(mutation, ({ kind, at, mask }) => {
        const bytes =
          kind === 'flip'
            ? Uint8Array.from(original, (byte, index) => (index === at ? byte ^ mask : byte))
            : kind === 'truncate'
              ? original.slice(0, at)
              : new Uint8Array([...original.subarray(0, at), mask, ...original.subarray(at)]);
        expectWellFormedVerdict(evaluate(bytes));
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    {
      label: 'the signed response data of a CA-signed response',
      der: () => caSignedDer,
      range: () => signedRange(caSignedDer),
    },
    {
      label: 'the signed response data of a delegated response',
      der: () => delegatedDer,
      range: () => signedRange(delegatedDer),
    },
    {
      // From the certificate's first inner byte: asn1js tolerates an outer SEQUENCE length that is a
      // little off when the inner values are self-delimiting, which re-frames but does not change the certificate.
      label: 'the included responder certificate',
      der: () => delegatedDer,
      range: () => {
        const { start, end } = rangeOf(delegatedDer, ca.responders.rsa.certDer);
        return { start: start + 4, end };
      },
    },
  ])('a byte changed in $label is never accepted', ({ der, range }) => {
    const original = der();
    const { start, end } = range();
    fc.assert(
      fc.property(fc.integer({ min: start, max: end - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const bytes = Uint8Array.from(original, (byte, index) => (index === at ? byte ^ mask : byte));
        const verdict = evaluate(bytes);
        expectWellFormedVerdict(verdict);
        expect(isOcspAnswerReason(verdict.reason)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});
