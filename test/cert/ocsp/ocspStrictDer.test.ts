/**
 * OCSP on certgate's strict DER reader: encodings that are BER but not DER (indefinite and
 * non-minimal lengths, DEFAULT values written out, non-empty NULLs, times outside the DER profile)
 * make a response `ocsp-response-malformed`, also inside the signed ResponseData when the signature
 * over those exact bytes verifies (asn1js / pkijs accepted all of these as good). DER-legal forms
 * stay accepted. Requests are byte-for-byte what pkijs builds, and a caller holding the parsed
 * certificates (ParsedCertificate) gets the same request and verdict without a second parse.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpOcspClient } from '../../../shared/adapters/httpOcspClient.js';
import {
  buildOcspRequest,
  evaluateOcspResponse,
  type OcspCertId,
  type OcspHashAlgorithm,
} from '../../../shared/cert/revocation/ocsp.js';
import {
  isCertificateParseFailure,
  parseCertificateDer,
  type ParsedCertificate,
} from '../../../shared/cert/x509/certificate.js';
import type { OcspTestCa } from '../../../dev/ocsp/ocspTestPki.js';
import type { OcspResponder } from '../../../dev/ocsp/responder.js';
import { ascii, child, constructed, editResponse, primitive, type ResponseParts } from './ocspDerEdit.js';
import { NOW, createOcspWorld, createTestCa, startTestResponder, type OcspWorld } from './ocspFixtures.js';

let ca: OcspTestCa;
let world: OcspWorld;
let caSigned: OcspResponder;
let delegated: OcspResponder;
const NONCE = new Uint8Array(16).fill(0x5a);
/** Answers about the revoked leaf (so revokedInfo is present), with the nonce echoed. */
let certId: OcspCertId;
let responseDer: Uint8Array;
let delegatedDer: Uint8Array;

beforeAll(async () => {
  ca = await createTestCa();
  caSigned = await startTestResponder(ca);
  delegated = await startTestResponder(ca, { signer: ca.responders.rsa });
  world = await createOcspWorld(ca, caSigned.url);
  const request = buildOcspRequest({
    certDer: world.leaves.revoked.certDer,
    issuerDer: ca.intermediate.certDer,
    nonce: NONCE,
  });
  certId = request.certId;
  const fetchFrom = async (url: string) => {
    const result = await new HttpOcspClient().query(url, request.der);
    if (result.kind !== 'response') throw new Error(result.reason);
    return result.der;
  };
  responseDer = await fetchFrom(caSigned.url);
  delegatedDer = await fetchFrom(delegated.url);
});

afterAll(async () => {
  await caSigned.close();
  await delegated.close();
});

function parsed(der: Uint8Array): ParsedCertificate {
  const certificate = parseCertificateDer(der);
  if (isCertificateParseFailure(certificate)) throw new Error(certificate.detail);
  return certificate;
}

function evaluate(der: Uint8Array) {
  return evaluateOcspResponse({ responseDer: der, certId, issuerDer: ca.intermediate.certDer, now: NOW, nonce: NONCE });
}

/** Index of the field after the optional version in ResponseData. */
function afterVersion(tbs: ResponseParts['tbs']): number {
  return child(tbs, 0).identifier === 0xa0 ? 1 : 0;
}

describe('the helpers are sound', () => {
  it('the fetched responses are accepted as they are and after signing them again unchanged', () => {
    expect(evaluate(responseDer)).toMatchObject({
      reason: 'ocsp-revoked',
      revocationReason: 'keyCompromise',
      signedBy: 'issuer',
    });
    expect(evaluate(delegatedDer)).toMatchObject({ reason: 'ocsp-revoked', signedBy: 'delegated-responder' });
    expect(evaluate(editResponse(responseDer, () => undefined, ca.intermediate.keyPem)).reason).toBe('ocsp-revoked');
  });
});

describe('BER that is not DER is refused (pkijs accepted it)', () => {
  it.each<{ label: string; edit: (parts: ResponseParts) => void; signed: boolean }>([
    {
      label: 'indefinite length on the OCSPResponse',
      edit: ({ outer }) => void (outer.length = 'indefinite'),
      signed: false,
    },
    {
      label: 'non-minimal length on the OCSPResponse',
      edit: ({ outer }) => void (outer.length = 'non-minimal'),
      signed: false,
    },
    {
      label: 'indefinite length on the BasicOCSPResponse',
      edit: ({ basic }) => void (basic.length = 'indefinite'),
      signed: false,
    },
    {
      label: 'non-minimal length on the signatureAlgorithm',
      edit: ({ basic }) => void (child(basic, 1).length = 'non-minimal'),
      signed: false,
    },
    {
      label: 'non-minimal length on the responseBytes',
      edit: ({ outer }) => void (child(child(outer, 1), 0).length = 'non-minimal'),
      signed: false,
    },
    {
      label: 'a trailing element in the OCSPResponse',
      edit: ({ outer }) => void outer.children?.push(primitive(0x05, [])),
      signed: false,
    },
    {
      label: 'a trailing element in the BasicOCSPResponse',
      edit: ({ basic }) => void basic.children?.push(primitive(0x05, [])),
      signed: false,
    },
    {
      label: 'signed: indefinite length on the ResponseData',
      edit: ({ tbs }) => void (tbs.length = 'indefinite'),
      signed: true,
    },
    {
      label: 'signed: non-minimal length on the SingleResponse',
      edit: ({ single }) => void (single.length = 'non-minimal'),
      signed: true,
    },
    {
      label: 'signed: indefinite length on the CertID',
      edit: ({ single }) => void (child(single, 0).length = 'indefinite'),
      signed: true,
    },
    {
      label: 'signed: version v1 written out (a DEFAULT value)',
      edit: ({ tbs }) => void tbs.children?.unshift(constructed(0xa0, [primitive(0x02, [0x00])])),
      signed: true,
    },
    {
      label: 'signed: a version other than v1',
      edit: ({ tbs }) => void tbs.children?.unshift(constructed(0xa0, [primitive(0x02, [0x01])])),
      signed: true,
    },
    {
      label: 'signed: revocationReason as a non-minimal ENUMERATED',
      edit: ({ single }) => void (child(child(child(single, 1), 1), 0).content = Uint8Array.from([0x00, 0x01])),
      signed: true,
    },
    {
      label: 'signed: producedAt without seconds',
      edit: ({ tbs }) => void (child(tbs, afterVersion(tbs) + 1).content = ascii('202506011200Z')),
      signed: true,
    },
    {
      label: 'signed: thisUpdate in local time (no Z)',
      edit: ({ single }) => void (child(single, 2).content = ascii('20250601120000')),
      signed: true,
    },
    {
      label: 'signed: thisUpdate with a trailing zero in the fraction',
      edit: ({ single }) => void (child(single, 2).content = ascii('20250601120000.50Z')),
      signed: true,
    },
    {
      label: 'signed: the nonce extension with critical FALSE written out',
      edit: ({ tbs }) => {
        const extension = child(child(child(tbs, tbs.children!.length - 1), 0), 0);
        extension.children?.splice(1, 0, primitive(0x01, [0x00]));
      },
      signed: true,
    },
  ])('$label → ocsp-response-malformed', ({ edit, signed }) => {
    const der = editResponse(responseDer, edit, signed ? ca.intermediate.keyPem : undefined);
    expect(evaluate(der)).toMatchObject({ status: 'unknown', reason: 'ocsp-response-malformed' });
  });

  it('signed: good as [0] with content (a NULL must be empty) → ocsp-response-malformed', async () => {
    const request = buildOcspRequest({ certDer: world.leaves.good.certDer, issuerDer: ca.intermediate.certDer });
    const result = await new HttpOcspClient().query(caSigned.url, request.der);
    if (result.kind !== 'response') throw new Error(result.reason);
    const evaluateGood = (der: Uint8Array) =>
      evaluateOcspResponse({ responseDer: der, certId: request.certId, issuerDer: ca.intermediate.certDer, now: NOW });
    expect(evaluateGood(result.der).reason).toBe('ocsp-good');
    const der = editResponse(
      result.der,
      ({ single }) => void (child(single, 1).content = Uint8Array.from([0x00])),
      ca.intermediate.keyPem,
    );
    expect(evaluateGood(der)).toMatchObject({ status: 'unknown', reason: 'ocsp-response-malformed' });
  });

  it.each<{ label: string; edit: (certificate: ResponseParts['basic']) => void }>([
    { label: 'not DER (its length in long form)', edit: (certificate) => void (certificate.length = 'non-minimal') },
    {
      // ecdsa-with-SHA256 → ecdsa-with-SHA384 in the outer signatureAlgorithm only: the certificate reader refuses the
      // mismatch.
      label: 'refused by the X.509 reader (signatureAlgorithm differs from the signed one)',
      edit: (certificate) =>
        void (child(child(certificate, 1), 0).content = Uint8Array.from([
          0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
        ])),
    },
    { label: 'not a certificate at all', edit: (certificate) => void (certificate.children = [primitive(0x05, [])]) },
  ])('an included certificate $label → ocsp-response-malformed', ({ edit }) => {
    const der = editResponse(delegatedDer, ({ basic }) => {
      edit(child(child(child(basic, 3), 0), 0));
    });
    expect(evaluate(der)).toMatchObject({ status: 'unknown', reason: 'ocsp-response-malformed' });
  });

  it('a nonce extension present twice → ocsp-response-malformed', () => {
    const der = editResponse(
      responseDer,
      ({ tbs }) => {
        const list = child(child(tbs, tbs.children!.length - 1), 0);
        list.children?.push(child(list, 0));
      },
      ca.intermediate.keyPem,
    );
    expect(evaluate(der)).toMatchObject({ status: 'unknown', reason: 'ocsp-response-malformed' });
  });
});

describe('DER-legal forms stay accepted', () => {
  it('thisUpdate with fractional seconds (X.690 allows them; no trailing zero)', () => {
    const der = editResponse(
      responseDer,
      ({ single }) => void (child(single, 2).content = ascii('20250601120000.5Z')),
      ca.intermediate.keyPem,
    );
    expect(evaluate(der)).toMatchObject({ reason: 'ocsp-revoked', thisUpdate: new Date(NOW.getTime() + 500) });
  });

  it('a response without the nonce echo, when we sent one', () => {
    const der = editResponse(responseDer, ({ tbs }) => void tbs.children?.pop(), ca.intermediate.keyPem);
    expect(evaluate(der).reason).toBe('ocsp-revoked');
  });

  it('a nonce echoed as the raw octets (without the inner OCTET STRING)', () => {
    const der = editResponse(
      responseDer,
      ({ tbs }) => void (child(child(child(child(tbs, tbs.children!.length - 1), 0), 0), 1).content = NONCE),
      ca.intermediate.keyPem,
    );
    expect(evaluate(der).reason).toBe('ocsp-revoked');
  });
});

describe('requests are the bytes pkijs builds', () => {
  it.each<{ hashAlgorithm: OcspHashAlgorithm; nonce: Uint8Array | undefined }>([
    { hashAlgorithm: 'SHA-1', nonce: undefined },
    { hashAlgorithm: 'SHA-1', nonce: NONCE },
    { hashAlgorithm: 'SHA-256', nonce: new Uint8Array(32).fill(0xff) },
  ])('$hashAlgorithm, nonce $nonce.length', ({ hashAlgorithm, nonce }) => {
    const built = buildOcspRequest({
      certDer: world.leaves.good.certDer,
      issuerDer: ca.intermediate.certDer,
      hashAlgorithm,
      ...(nonce ? { nonce } : {}),
    });
    const expected = new pkijs.OCSPRequest({
      tbsRequest: new pkijs.TBSRequest({
        requestList: [
          new pkijs.Request({
            reqCert: new pkijs.CertID({
              hashAlgorithm: new pkijs.AlgorithmIdentifier({
                algorithmId: hashAlgorithm === 'SHA-1' ? '1.3.14.3.2.26' : '2.16.840.1.101.3.4.2.1',
                algorithmParams: new asn1js.Null(),
              }),
              issuerNameHash: new asn1js.OctetString({ valueHex: built.certId.issuerNameHash }),
              issuerKeyHash: new asn1js.OctetString({ valueHex: built.certId.issuerKeyHash }),
              serialNumber: new asn1js.Integer({ valueHex: built.certId.serialNumber }),
            }),
          }),
        ],
        ...(nonce
          ? {
              requestExtensions: [
                new pkijs.Extension({
                  extnID: '1.3.6.1.5.5.7.48.1.2',
                  critical: false,
                  extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(false),
                }),
              ],
            }
          : {}),
      }),
    });
    expect(Buffer.from(built.der).toString('hex')).toBe(
      Buffer.from(expected.toSchema(true).toBER(false)).toString('hex'),
    );
  });
});

describe('already parsed certificates are used as they are', () => {
  it('buildOcspRequest with ParsedCertificates gives the same request as with DER', () => {
    const fromDer = buildOcspRequest({
      certDer: world.leaves.good.certDer,
      issuerDer: ca.intermediate.certDer,
      nonce: NONCE,
    });
    const fromParsed = buildOcspRequest({
      certificate: parsed(world.leaves.good.certDer),
      issuer: parsed(ca.intermediate.certDer),
      nonce: NONCE,
    });
    expect(fromParsed).toEqual(fromDer);
  });

  it('evaluateOcspResponse with the issuer as a ParsedCertificate gives the same verdict as with DER', () => {
    const fromParsed = evaluateOcspResponse({
      responseDer,
      certId,
      issuer: parsed(ca.intermediate.certDer),
      now: NOW,
      nonce: NONCE,
    });
    expect(fromParsed).toEqual(evaluate(responseDer));
    expect(fromParsed.reason).toBe('ocsp-revoked');
  });
});
