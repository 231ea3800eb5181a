/**
 * A small PKI for OCSP tests, issued with the dev PKI's `issueCertificate`: a root, an intermediate
 * that issues the leaves (and is the CA whose OCSP answers are checked), delegated responder
 * certificates (good ones with id-kp-OCSPSigning and id-pkix-ocsp-nocheck, one without the EKU, one
 * issued by the root instead of the intermediate, one expired), and leaves whose Authority
 * Information Access points at a responder URL. The CA part is made first so a loopback responder
 * can start with it; leaves are issued afterwards with the responder's URL. For OCSP of the CAs on
 * the path, more intermediates can be issued from the root with the URL of a responder that answers
 * for the root. Dev and test only; every key is generated, none is real.
 * May import: @peculiar/x509 (types), node built-ins, ../pki/issue.js.
 */
import type { webcrypto } from 'node:crypto';
import type * as x509 from '@peculiar/x509';
import { issueCertificate, type IssueCertificateOptions, type KeyAlgorithmName } from '../pki/issue.js';

/** Key types the OCSP test PKI can make. */
export type OcspTestKeyType = Extract<KeyAlgorithmName, 'ecdsa-p256' | 'rsa-2048' | 'ed25519'>;

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

const OCSP_SIGNING = 'ocspSigning';
const CLIENT_AUTH = 'clientAuth';

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
  const issued = await issueCertificate({
    subject: options.subject,
    keyAlgorithm: options.keyType,
    serial: options.serialHex,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    ...(options.issuer ? { issuer: { cert: options.issuer.cert, key: options.issuer.privateKey } } : {}),
    ...(options.ca ? { ca: {} } : {}),
    ...(options.extKeyUsage ? { extKeyUsage: options.extKeyUsage } : {}),
    ...(options.ocspNoCheck ? { ocspNoCheck: true } : {}),
    ...(options.ocspUrls ? { ocspUrls: options.ocspUrls } : {}),
  } satisfies IssueCertificateOptions);
  return {
    certDer: issued.cert.der,
    certPem: issued.cert.pem,
    keyPem: issued.key,
    serialHex: options.serialHex,
    cert: issued.cert.parsed,
    privateKey: issued.keys.privateKey,
  };
}

/** Makes the root, the intermediate and the delegated responder certificates. */
export async function createOcspTestCa(options: OcspTestPkiOptions): Promise<OcspTestCa> {
  const validity = { notBefore: options.validFrom, notAfter: options.validTo };
  const root = await issue({
    subject: 'CN=certgate OCSP Test Root, O=certgate dev',
    keyType: 'ecdsa-p256',
    serialHex: '01',
    ca: true,
    ...validity,
  });
  const intermediate = await issue({
    subject: 'CN=certgate OCSP Test Issuing CA, O=certgate dev',
    keyType: 'ecdsa-p256',
    issuer: root,
    serialHex: '02',
    ca: true,
    ...validity,
  });
  const responder = (
    subject: string,
    keyType: OcspTestKeyType,
    serialHex: string,
    extra: Partial<IssueOptions> = {},
  ): Promise<OcspTestCredential> =>
    issue({ subject, keyType, issuer: intermediate, serialHex, extKeyUsage: [OCSP_SIGNING], ...validity, ...extra });
  const expiredUntil = new Date(options.validFrom.getTime() - 86_400_000);
  return {
    root,
    intermediate,
    responders: {
      rsa: await responder('CN=certgate OCSP Responder RSA, O=certgate dev', 'rsa-2048', '0a01', { ocspNoCheck: true }),
      ed25519: await responder('CN=certgate OCSP Responder Ed25519, O=certgate dev', 'ed25519', '0a02'),
      withoutOcspSigningEku: await responder(
        'CN=certgate OCSP Responder without EKU, O=certgate dev',
        'ecdsa-p256',
        '0a03',
        {
          extKeyUsage: [CLIENT_AUTH],
        },
      ),
      issuedByRoot: await responder('CN=certgate OCSP Responder from the root, O=certgate dev', 'ecdsa-p256', '0a04', {
        issuer: root,
      }),
      expired: await responder('CN=certgate OCSP Responder expired, O=certgate dev', 'ecdsa-p256', '0a05', {
        notBefore: new Date(expiredUntil.getTime() - 30 * 86_400_000),
        notAfter: expiredUntil,
      }),
    },
  };
}

/**
 * Issues a client-authentication leaf whose AIA names `ocspUrls` (none: no AIA), from the CA's
 * intermediate or from `issuer` (an intermediate made by {@link issueOcspTestIntermediate}).
 */
export function issueOcspTestLeaf(
  ca: OcspTestCa,
  options: {
    readonly serialHex: string;
    readonly ocspUrls?: readonly string[];
    readonly validFrom: Date;
    readonly validTo: Date;
    readonly subject?: string;
    readonly issuer?: OcspTestCredential;
  },
): Promise<OcspTestCredential> {
  return issue({
    subject: options.subject ?? `CN=device ${options.serialHex}, O=certgate dev`,
    keyType: 'ecdsa-p256',
    issuer: options.issuer ?? ca.intermediate,
    serialHex: options.serialHex,
    extKeyUsage: [CLIENT_AUTH],
    notBefore: options.validFrom,
    notAfter: options.validTo,
    ...(options.ocspUrls ? { ocspUrls: options.ocspUrls } : {}),
  });
}

/**
 * Issues another issuing CA from the root, whose AIA names `ocspUrls` (a responder answering for
 * the root), so the OCSP status of an intermediate on the path can be asked.
 */
export function issueOcspTestIntermediate(
  ca: OcspTestCa,
  options: {
    readonly serialHex: string;
    readonly ocspUrls?: readonly string[];
    readonly validFrom: Date;
    readonly validTo: Date;
    readonly subject?: string;
  },
): Promise<OcspTestCredential> {
  return issue({
    subject: options.subject ?? `CN=certgate OCSP Test Issuing CA ${options.serialHex}, O=certgate dev`,
    keyType: 'ecdsa-p256',
    issuer: ca.root,
    serialHex: options.serialHex,
    ca: true,
    notBefore: options.validFrom,
    notAfter: options.validTo,
    ...(options.ocspUrls ? { ocspUrls: options.ocspUrls } : {}),
  });
}
