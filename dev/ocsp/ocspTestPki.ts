/**
 * A small PKI for OCSP tests, made with @peculiar/x509 on Node's WebCrypto: a root, an intermediate
 * that issues the leaves (and is the CA whose OCSP answers are checked), delegated responder
 * certificates (good ones with id-kp-OCSPSigning and id-pkix-ocsp-nocheck, one without the EKU, one
 * issued by the root instead of the intermediate, one expired), and leaves whose Authority
 * Information Access points at a responder URL. The CA part is made first so a loopback responder
 * can start with it; leaves are issued afterwards with the responder's URL. Dev and test only; every
 * key is generated, none is real.
 * May import: @peculiar/x509, node built-ins, reflect-metadata.
 */
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/** Key types the OCSP test PKI can make. */
export type OcspTestKeyType = 'ecdsa-p256' | 'rsa-2048' | 'ed25519';

/** A certificate with its private key, in the forms tests and the responder need. */
export interface OcspTestCredential {
  readonly certDer: Uint8Array;
  readonly certPem: string;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
  readonly serialHex: string;
  readonly cert: x509.X509Certificate;
  readonly privateKey: webcrypto.CryptoKey;
}

/** The CA side of the OCSP test PKI. */
export interface OcspTestCa {
  readonly root: OcspTestCredential;
  /** Issues the leaves; the OCSP issuer in every test. */
  readonly intermediate: OcspTestCredential;
  /** Delegated responders, all but the last three acceptable. */
  readonly responders: {
    /** RSA, EKU OCSPSigning, id-pkix-ocsp-nocheck, issued by the intermediate. */
    readonly rsa: OcspTestCredential;
    /** Ed25519, EKU OCSPSigning, issued by the intermediate. */
    readonly ed25519: OcspTestCredential;
    /** Issued by the intermediate but with EKU clientAuth only. */
    readonly withoutOcspSigningEku: OcspTestCredential;
    /** EKU OCSPSigning but issued by the root, not by the intermediate that issued the leaves. */
    readonly issuedByRoot: OcspTestCredential;
    /** EKU OCSPSigning, issued by the intermediate, expired before {@link OcspTestPkiOptions.validFrom}. */
    readonly expired: OcspTestCredential;
  };
}

/** Options of {@link createOcspTestCa}. */
export interface OcspTestPkiOptions {
  /** Start of validity of every certificate except the expired responder. */
  readonly validFrom: Date;
  /** End of validity. */
  readonly validTo: Date;
}

const crypto = webcrypto;
x509.cryptoProvider.set(crypto);

const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
const DER_NULL = new Uint8Array([0x05, 0x00]);

const GENERATION: Record<OcspTestKeyType, webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm> = {
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' } satisfies webcrypto.EcKeyGenParams,
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } satisfies webcrypto.RsaHashedKeyGenParams,
  ed25519: { name: 'Ed25519' },
};

function signingAlgorithmFor(key: webcrypto.CryptoKey): webcrypto.Algorithm | webcrypto.EcdsaParams {
  switch (key.algorithm.name) {
    case 'ECDSA':
      return { name: 'ECDSA', hash: 'SHA-256' } satisfies webcrypto.EcdsaParams;
    case 'RSASSA-PKCS1-v1_5':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } satisfies webcrypto.RsaHashedImportParams;
    default:
      return { name: key.algorithm.name };
  }
}

/** keyCertSign + cRLSign for a CA, digitalSignature otherwise. */
function keyUsageFor(isCa: boolean): x509.KeyUsageFlags {
  if (!isCa) return x509.KeyUsageFlags.digitalSignature;
  return x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
}

interface IssueOptions {
  readonly subject: string;
  readonly keyType: OcspTestKeyType;
  readonly issuer?: OcspTestCredential;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly ca?: boolean;
  readonly extKeyUsage?: readonly string[];
  readonly ocspNoCheck?: boolean;
  readonly ocspUrls?: readonly string[];
}

async function issue(options: IssueOptions): Promise<OcspTestCredential> {
  const keys = (await crypto.subtle.generateKey(GENERATION[options.keyType], true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const isCa = options.ca ?? false;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(isCa, undefined, true),
    new x509.KeyUsagesExtension(keyUsageFor(isCa), true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
  ];
  if (options.extKeyUsage) extensions.push(new x509.ExtendedKeyUsageExtension([...options.extKeyUsage], false));
  if (options.ocspNoCheck) extensions.push(new x509.Extension(OCSP_NOCHECK, false, DER_NULL));
  if (options.ocspUrls) extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [...options.ocspUrls] }, false));
  const common = { serialNumber: options.serialHex, notBefore: options.notBefore, notAfter: options.notAfter, extensions };
  const cert = options.issuer
    ? await x509.X509CertificateGenerator.create({
        ...common,
        subject: options.subject,
        issuer: options.issuer.cert.subject,
        publicKey: keys.publicKey,
        signingKey: options.issuer.privateKey,
        signingAlgorithm: signingAlgorithmFor(options.issuer.privateKey),
      })
    : await x509.X509CertificateGenerator.createSelfSigned({
        ...common,
        name: options.subject,
        keys,
        signingAlgorithm: signingAlgorithmFor(keys.privateKey),
      });
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    certDer: new Uint8Array(cert.rawData),
    certPem: cert.toString('pem'),
    keyPem,
    serialHex: options.serialHex,
    cert,
    privateKey: keys.privateKey,
  };
}

/** Makes the root, the intermediate and the delegated responder certificates. */
export async function createOcspTestCa(options: OcspTestPkiOptions): Promise<OcspTestCa> {
  const validity = { notBefore: options.validFrom, notAfter: options.validTo };
  const root = await issue({ subject: 'CN=certgate OCSP Test Root, O=certgate dev', keyType: 'ecdsa-p256', serialHex: '01', ca: true, ...validity });
  const intermediate = await issue({
    subject: 'CN=certgate OCSP Test Issuing CA, O=certgate dev',
    keyType: 'ecdsa-p256',
    issuer: root,
    serialHex: '02',
    ca: true,
    ...validity,
  });
  const responder = (subject: string, keyType: OcspTestKeyType, serialHex: string, extra: Partial<IssueOptions> = {}): Promise<OcspTestCredential> =>
    issue({ subject, keyType, issuer: intermediate, serialHex, extKeyUsage: [OCSP_SIGNING], ...validity, ...extra });
  const expiredUntil = new Date(options.validFrom.getTime() - 86_400_000);
  return {
    root,
    intermediate,
    responders: {
      rsa: await responder('CN=certgate OCSP Responder RSA, O=certgate dev', 'rsa-2048', '0a01', { ocspNoCheck: true }),
      ed25519: await responder('CN=certgate OCSP Responder Ed25519, O=certgate dev', 'ed25519', '0a02'),
      withoutOcspSigningEku: await responder('CN=certgate OCSP Responder without EKU, O=certgate dev', 'ecdsa-p256', '0a03', {
        extKeyUsage: [CLIENT_AUTH],
      }),
      issuedByRoot: await responder('CN=certgate OCSP Responder from the root, O=certgate dev', 'ecdsa-p256', '0a04', { issuer: root }),
      expired: await responder('CN=certgate OCSP Responder expired, O=certgate dev', 'ecdsa-p256', '0a05', {
        notBefore: new Date(expiredUntil.getTime() - 30 * 86_400_000),
        notAfter: expiredUntil,
      }),
    },
  };
}

/** Issues a client-authentication leaf from the intermediate whose AIA names `ocspUrls` (none: no AIA). */
export function issueOcspTestLeaf(
  ca: OcspTestCa,
  options: { readonly serialHex: string; readonly ocspUrls?: readonly string[]; readonly validFrom: Date; readonly validTo: Date; readonly subject?: string },
): Promise<OcspTestCredential> {
  return issue({
    subject: options.subject ?? `CN=device ${options.serialHex}, O=certgate dev`,
    keyType: 'ecdsa-p256',
    issuer: ca.intermediate,
    serialHex: options.serialHex,
    extKeyUsage: [CLIENT_AUTH],
    notBefore: options.validFrom,
    notAfter: options.validTo,
    ...(options.ocspUrls ? { ocspUrls: options.ocspUrls } : {}),
  });
}
