/**
 * A loopback OCSP responder (RFC 6960) for tests and the local stack: it answers POST and GET
 * requests with real BasicOCSPResponses built with pkijs and signed with node:crypto by the issuing
 * CA or a delegated responder, echoes the request nonce, and can misbehave on demand (down, slow,
 * tryLater, bad signature, stale, wrong nonce) so the client and the evaluator can be tested against
 * every failure over real HTTP. Dev and test only.
 * May import: pkijs, asn1js, node built-ins.
 */
import {
  constants,
  createHash,
  createPrivateKey,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { listenOn } from '../listen.js';

/** What the responder says about a serial number. */
export type OcspTestStatus =
  'good' | 'unknown' | { readonly revokedAt: Date; readonly reason?: OcspTestRevocationReason };

/** CRLReason names (RFC 5280 §5.3.1) the responder can put in a revoked answer. */
export type OcspTestRevocationReason =
  | 'unspecified'
  | 'keyCompromise'
  | 'cACompromise'
  | 'affiliationChanged'
  | 'superseded'
  | 'cessationOfOperation'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'privilegeWithdrawn'
  | 'aACompromise';

/**
 * How the responder behaves: `normal`; `down` (HTTP 503 with Retry-After); `slow` (answers after
 * `slowDelayMs`); `try-later` (a signed-less OCSP tryLater answer); `bad-signature` (one signature
 * byte flipped); `stale` (nextUpdate an interval in the past); `wrong-nonce` (echoes a different nonce).
 * A refused connection is what a closed responder gives: call `close()` and query the same URL.
 */
export type OcspResponderMode = 'normal' | 'down' | 'slow' | 'try-later' | 'bad-signature' | 'stale' | 'wrong-nonce';

/** Options of {@link startOcspResponder}. */
export interface OcspResponderOptions {
  readonly host?: string;
  readonly port?: number;
  /** The CA the responder answers for (PEM). */
  readonly issuerCertPem: string;
  /** The signer: the CA itself or a delegated responder, with its PKCS#8 PEM key. */
  readonly signer: { readonly certPem: string; readonly keyPem: string };
  /** Status by serial number: lowercase hex, leading zero octets removed. */
  readonly statusOf: (serialHex: string) => OcspTestStatus;
  readonly mode?: OcspResponderMode;
  /** The responder's clock (tests pin it to their fixed `now`). Default: the system clock. */
  readonly clock?: () => Date;
  /** How the responder id names the signer. Default `key`. */
  readonly responderIdBy?: 'name' | 'key';
  /** Whether the signer's certificate goes into the response. Default: when the signer is not the issuer. */
  readonly includeSignerCertificate?: boolean;
  /** For RSA signers: PKCS#1 v1.5 (default) or PSS with SHA-256. */
  readonly rsaSignature?: 'pkcs1' | 'pss';
  /** thisUpdate → nextUpdate, seconds; 0 omits nextUpdate. Default 3 600. */
  readonly validitySeconds?: number;
  /** Delay of `slow` mode. Default 10 000 ms. */
  readonly slowDelayMs?: number;
}

/** A running responder. */
export interface OcspResponder {
  /** Base URL, e.g. `http://127.0.0.1:41234/ocsp`, to put in certificates' AIA. */
  readonly url: string;
  /** Changes the behaviour for the following requests. */
  setMode(mode: OcspResponderMode): void;
  /** Requests received so far. */
  readonly requestCount: number;
  close(): Promise<void>;
}

const ID_PKIX_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
const ID_PKIX_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
const MAX_REQUEST_BYTES = 16 * 1024;

const CRL_REASON_CODES: Readonly<Record<OcspTestRevocationReason, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
};

const NODE_HASH_BY_OID: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Starts the responder on loopback (port 0 = any free port). */
export async function startOcspResponder(options: OcspResponderOptions): Promise<OcspResponder> {
  const issuer = parseCertificate(options.issuerCertPem);
  const signerCert = parseCertificate(options.signer.certPem);
  const signerKey = createPrivateKey(options.signer.keyPem);
  const signerIsIssuer =
    new X509Certificate(options.signer.certPem).fingerprint256 ===
    new X509Certificate(options.issuerCertPem).fingerprint256;
  const includeSigner = options.includeSignerCertificate ?? !signerIsIssuer;
  const clock = options.clock ?? (() => new Date());
  const validitySeconds = options.validitySeconds ?? 3_600;
  const slowDelayMs = options.slowDelayMs ?? 10_000;
  let mode: OcspResponderMode = options.mode ?? 'normal';
  let requestCount = 0;
  const timers = new Set<NodeJS.Timeout>();

  const answer = (requestDer: Uint8Array): Uint8Array => {
    const request = construct(() => pkijs.OCSPRequest.fromBER(requestDer));
    if (!request || request.tbsRequest.requestList.length === 0) return statusOnlyResponse(1);
    if (mode === 'try-later') return statusOnlyResponse(3);
    for (const single of request.tbsRequest.requestList) {
      if (!certIdNamesIssuer(single.reqCert, issuer)) return statusOnlyResponse(6);
    }
    const now = floorToSecond(clock());
    const interval = (validitySeconds > 0 ? validitySeconds : 3_600) * 1000;
    const thisUpdate = mode === 'stale' ? new Date(now.getTime() - 2 * interval) : now;
    const nextUpdate =
      mode === 'stale'
        ? new Date(now.getTime() - interval)
        : validitySeconds > 0
          ? new Date(now.getTime() + interval)
          : undefined;
    const responses = request.tbsRequest.requestList.map(
      (single) =>
        new pkijs.SingleResponse({
          certID: single.reqCert,
          certStatus: certStatusBlock(
            options.statusOf(serialHexOf(single.reqCert.serialNumber.valueBlock.valueHexView)),
          ),
          thisUpdate,
          ...(nextUpdate ? { nextUpdate } : {}),
        }),
    );
    const nonce = request.tbsRequest.requestExtensions?.find((extension) => extension.extnID === ID_PKIX_OCSP_NONCE);
    const echoed =
      nonce && mode === 'wrong-nonce'
        ? new pkijs.Extension({
            extnID: ID_PKIX_OCSP_NONCE,
            critical: false,
            extnValue: new asn1js.OctetString({ valueHex: randomBytes(16) }).toBER(false),
          })
        : nonce;
    const responseData = new pkijs.ResponseData({
      responderID:
        options.responderIdBy === 'name'
          ? signerCert.subject
          : new asn1js.OctetString({
              valueHex: createHash('sha1')
                .update(signerCert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
                .digest(),
            }),
      producedAt: now,
      responses,
      ...(echoed ? { responseExtensions: [echoed] } : {}),
    });
    const tbsSchema = responseData.toSchema(true) as asn1js.Sequence; // pkijs types ResponseData.toSchema as any
    const tbs = new Uint8Array(tbsSchema.toBER(false));
    responseData.tbsView = tbs;
    const { algorithm, signature } = signResponse(tbs, signerKey, options.rsaSignature ?? 'pkcs1');
    if (mode === 'bad-signature') signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0x01;
    const basic = new pkijs.BasicOCSPResponse({
      tbsResponseData: responseData,
      signatureAlgorithm: algorithm,
      signature: new asn1js.BitString({ valueHex: signature }),
      ...(includeSigner ? { certs: [signerCert] } : {}),
    });
    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: 0 }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: ID_PKIX_OCSP_BASIC,
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
      }),
    });
    return new Uint8Array(response.toSchema().toBER(false));
  };

  const respond = (response: ServerResponse, requestDer: Uint8Array): void => {
    const body = answer(requestDer);
    response.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': body.byteLength });
    response.end(body);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    requestCount++;
    if (mode === 'down') {
      request.resume();
      response.writeHead(503, { 'retry-after': '30', 'content-type': 'text/plain' });
      response.end('responder down (test mode)');
      return;
    }
    let requestDer: Uint8Array | undefined;
    if (request.method === 'POST') {
      requestDer = await readBody(request);
    } else if (request.method === 'GET') {
      const last = (request.url ?? '').split('/').pop() ?? '';
      requestDer = construct(() => new Uint8Array(Buffer.from(decodeURIComponent(last), 'base64')));
    }
    if (!requestDer) {
      response.writeHead(request.method === 'POST' || request.method === 'GET' ? 400 : 405);
      response.end();
      return;
    }
    const der = requestDer;
    if (mode === 'slow') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!response.destroyed) respond(response, der);
      }, slowDelayMs);
      timers.add(timer);
      return;
    }
    respond(response, der);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500);
      response.end();
    });
  });
  const authority = await listenOn(server, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: `http://${authority}/ocsp`,
    setMode(next) {
      mode = next;
    },
    get requestCount() {
      return requestCount;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}

function parseCertificate(pem: string): pkijs.Certificate {
  return pkijs.Certificate.fromBER(new X509Certificate(pem).raw);
}

function construct<T>(make: () => T): T | undefined {
  try {
    return make();
  } catch {
    return undefined;
  }
}

async function readBody(request: IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** An OCSPResponse with only a (non-successful) responseStatus, which is never signed. */
function statusOnlyResponse(status: number): Uint8Array {
  return new Uint8Array(
    new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) }).toSchema().toBER(false),
  );
}

function certIdNamesIssuer(certId: pkijs.CertID, issuer: pkijs.Certificate): boolean {
  const hash = NODE_HASH_BY_OID[certId.hashAlgorithm.algorithmId];
  if (!hash) return false;
  const nameHash = createHash(hash).update(new Uint8Array(issuer.subject.valueBeforeDecode)).digest();
  const keyHash = createHash(hash)
    .update(issuer.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView)
    .digest();
  return (
    nameHash.equals(certId.issuerNameHash.valueBlock.valueHexView) &&
    keyHash.equals(certId.issuerKeyHash.valueBlock.valueHexView)
  );
}

function certStatusBlock(status: OcspTestStatus): asn1js.BaseBlock {
  if (status === 'good') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } });
  if (status === 'unknown') return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 2 } });
  return new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 1 },
    value: [
      new asn1js.GeneralizedTime({ valueDate: floorToSecond(status.revokedAt) }),
      ...(status.reason
        ? [
            new asn1js.Constructed({
              idBlock: { tagClass: 3, tagNumber: 0 },
              value: [new asn1js.Enumerated({ value: CRL_REASON_CODES[status.reason] })],
            }),
          ]
        : []),
    ],
  });
}

/** Signs with the key's natural algorithm: RSA SHA-256 (PKCS#1 v1.5 or PSS), ecdsa-with-SHA256, Ed25519. */
function signResponse(
  tbs: Uint8Array,
  key: KeyObject,
  rsaSignature: 'pkcs1' | 'pss',
): { algorithm: pkijs.AlgorithmIdentifier; signature: Uint8Array } {
  const sha256 = () =>
    new pkijs.AlgorithmIdentifier({ algorithmId: '2.16.840.1.101.3.4.2.1', algorithmParams: new asn1js.Null() });
  switch (key.asymmetricKeyType) {
    case 'rsa':
      if (rsaSignature === 'pss') {
        const params = new pkijs.RSASSAPSSParams({
          hashAlgorithm: sha256(),
          maskGenAlgorithm: new pkijs.AlgorithmIdentifier({
            algorithmId: '1.2.840.113549.1.1.8',
            algorithmParams: sha256().toSchema(),
          }),
          saltLength: 32,
        });
        return {
          algorithm: new pkijs.AlgorithmIdentifier({
            algorithmId: '1.2.840.113549.1.1.10',
            algorithmParams: params.toSchema(),
          }),
          signature: new Uint8Array(
            sign('sha256', tbs, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }),
          ),
        };
      }
      return {
        algorithm: new pkijs.AlgorithmIdentifier({
          algorithmId: '1.2.840.113549.1.1.11',
          algorithmParams: new asn1js.Null(),
        }),
        signature: new Uint8Array(sign('sha256', tbs, key)),
      };
    case 'ec':
      return {
        algorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.10045.4.3.2' }),
        signature: new Uint8Array(sign('sha256', tbs, { key, dsaEncoding: 'der' })),
      };
    case 'ed25519':
      return {
        algorithm: new pkijs.AlgorithmIdentifier({ algorithmId: '1.3.101.112' }),
        signature: new Uint8Array(sign(null, tbs, key)),
      };
    default:
      throw new Error(`the test responder cannot sign with a ${key.asymmetricKeyType ?? 'unknown'} key`);
  }
}

function floorToSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

function serialHexOf(serial: Uint8Array): string {
  let start = 0;
  while (start < serial.byteLength - 1 && serial[start] === 0) start++;
  return Buffer.from(serial.subarray(start)).toString('hex');
}
