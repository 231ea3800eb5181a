/**
 * Issuing test certificates and CRLs: a thin, option-object layer over @peculiar/x509 with Node's
 * WebCrypto as the provider, so the dev PKI and end-to-end tests can mint any certificate they
 * need (CA or leaf, RSA / RSA-PSS / ECDSA / Ed25519, SANs including the Entra UPN otherName, CRL
 * distribution point, OCSP responder URL and id-pkix-ocsp-nocheck, name constraints, raw extra
 * extensions, a reused key pair, a chosen signature algorithm) and sign CRLs. Everything is generated; there are no
 * real keys. The signing
 * algorithm follows the issuer's key (RSA: SHA-256 PKCS#1 v1.5, RSA-PSS: SHA-256 PSS, P-256:
 * ecdsa-with-SHA256, P-384: ecdsa-with-SHA384, Ed25519: Ed25519). Dev and test only.
 * May import: @peculiar/x509, asn1js, node built-ins.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { Constructed, Integer, Primitive, Sequence } from 'asn1js';

/** The key algorithms the dev PKI can generate (`rsa-1024` only to test that weak keys are refused). */
export type KeyAlgorithmName = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-pss' | 'ed25519' | 'rsa-1024';

/** A WebCrypto signature algorithm, as @peculiar/x509 takes it (e.g. `{ name: 'ECDSA', hash: 'SHA-1' }`). */
export type SignatureAlgorithm = webcrypto.Algorithm | webcrypto.EcdsaParams | webcrypto.RsaPssParams;

/** The names one side (permitted or excluded) of a nameConstraints extension lists. */
export interface NameSubtrees {
  /** dNSName subtrees, e.g. `contoso.example`. */
  readonly dns?: readonly string[];
  /** rfc822Name subtrees: a mailbox, a host or a `.domain`. */
  readonly email?: readonly string[];
  /** iPAddress subtrees, IPv4: an address and its mask, e.g. `['10.0.0.0', '255.0.0.0']`. */
  readonly ipv4?: readonly (readonly [address: string, mask: string])[];
}

/** Key usage bits by their RFC 5280 names. */
export type KeyUsageName = keyof typeof x509.KeyUsageFlags;

/** A certificate with the private key that can sign for it (a CA that issues, or a leaf). */
export interface IssuerCredentials {
  readonly cert: x509.X509Certificate;
  readonly key: webcrypto.CryptoKey;
}

/** Subject alternative names; `upn` becomes the Microsoft UPN otherName (1.3.6.1.4.1.311.20.2.3). */
export interface SubjectAlternativeNames {
  readonly dns?: readonly string[];
  readonly email?: readonly string[];
  readonly upn?: readonly string[];
  readonly uri?: readonly string[];
  readonly ip?: readonly string[];
}

/** Options of {@link issueCertificate}. */
export interface IssueCertificateOptions {
  /** Distinguished name, e.g. `CN=alice, O=Contoso Dev`. */
  readonly subject: string;
  /** Signing CA; omitted means self-signed. */
  readonly issuer?: IssuerCredentials;
  readonly keyAlgorithm: KeyAlgorithmName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Present: a CA certificate (basicConstraints cA=TRUE, critical), with an optional path length. */
  readonly ca?: { readonly pathLength?: number };
  /** Default: keyCertSign + cRLSign for a CA, digitalSignature for a leaf. An empty list omits the extension. */
  readonly keyUsage?: readonly KeyUsageName[];
  /** EKU purposes: `clientAuth`, `serverAuth`, … or dotted OIDs. Omitted: no EKU extension. */
  readonly extKeyUsage?: readonly string[];
  readonly san?: SubjectAlternativeNames;
  /** URL written as the CRL distribution point. */
  readonly crlDistributionUrl?: string;
  /** Hexadecimal serial number; default 16 random bytes, positive. */
  readonly serial?: string;
  /** OCSP responder URLs, written as id-ad-ocsp in the Authority Information Access extension. */
  readonly ocspUrls?: readonly string[];
  /** Adds id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1), for a delegated OCSP responder certificate. */
  readonly ocspNoCheck?: boolean;
  /** A critical nameConstraints extension (RFC 5280 §4.2.1.10), for a CA. */
  readonly nameConstraints?: { readonly permitted?: NameSubtrees; readonly excluded?: NameSubtrees };
  /** Extensions appended as given, after the ones the options above make. */
  readonly extraExtensions?: readonly x509.Extension[];
  /**
   * Use this key pair instead of generating one (e.g. two certificates for one CA key, cross-signing); its algorithm
   * must be `keyAlgorithm`.
   */
  readonly keys?: webcrypto.CryptoKeyPair;
  /**
   * Sign with this algorithm instead of the one that follows the signing key (see the module header), e.g. ECDSA with
   * SHA-1.
   */
  readonly signatureAlgorithm?: SignatureAlgorithm;
}

/** A freshly issued certificate with its key. */
export interface IssuedCertificate {
  readonly cert: { readonly der: Uint8Array; readonly pem: string; readonly parsed: x509.X509Certificate };
  /** The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as curl and node:tls take it. */
  readonly key: string;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly keyAlgorithm: KeyAlgorithmName;
  /** The certificate and its private key, ready to be passed as `issuer` to issue further certificates or CRLs. */
  readonly credentials: IssuerCredentials;
}

/** One revoked certificate in a CRL. */
export interface RevokedEntry {
  /** Hexadecimal serial number, as in {@link IssueCertificateOptions.serial}. */
  readonly serial: string;
  readonly date: Date;
  readonly reason?: x509.X509CrlReason;
}

/** Options of {@link issueCrl}. */
export interface IssueCrlOptions {
  readonly issuer: IssuerCredentials;
  readonly revoked: readonly RevokedEntry[];
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  /** The cRLNumber extension (RFC 5280 §5.2.3); must grow with every CRL the issuer publishes. */
  readonly crlNumber: number;
}

/** An issued CRL. */
export interface IssuedCrl {
  readonly der: Uint8Array;
  readonly pem: string;
  readonly parsed: x509.X509Crl;
}

const crypto = webcrypto;
const CRL_NUMBER_OID = '2.5.29.20';
const OCSP_NOCHECK_OID = '1.3.6.1.5.5.7.48.1.5';
const NAME_CONSTRAINTS_OID = '2.5.29.30';
const DER_NULL = new Uint8Array([0x05, 0x00]);

const GENERATION: Record<
  KeyAlgorithmName,
  webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams | webcrypto.Algorithm
> = {
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256' } satisfies webcrypto.EcKeyGenParams,
  'ecdsa-p384': { name: 'ECDSA', namedCurve: 'P-384' } satisfies webcrypto.EcKeyGenParams,
  'rsa-2048': {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  } satisfies webcrypto.RsaHashedKeyGenParams,
  'rsa-pss': {
    name: 'RSA-PSS',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  } satisfies webcrypto.RsaHashedKeyGenParams,
  ed25519: { name: 'Ed25519' },
  'rsa-1024': {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 1024,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  } satisfies webcrypto.RsaHashedKeyGenParams,
};

const EKU_NAMES: Readonly<Record<string, string>> = {
  serverAuth: x509.ExtendedKeyUsage.serverAuth,
  clientAuth: x509.ExtendedKeyUsage.clientAuth,
  codeSigning: x509.ExtendedKeyUsage.codeSigning,
  emailProtection: x509.ExtendedKeyUsage.emailProtection,
  timeStamping: x509.ExtendedKeyUsage.timeStamping,
  ocspSigning: x509.ExtendedKeyUsage.ocspSigning,
};

/** Generates an extractable key pair of the given algorithm. */
export async function generateKeyPair(keyAlgorithm: KeyAlgorithmName): Promise<webcrypto.CryptoKeyPair> {
  return (await crypto.subtle.generateKey(GENERATION[keyAlgorithm], true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
}

/** Imports a PKCS#8 PEM private key written by {@link issueCertificate}, for signing. */
export async function importPrivateKey(pem: string, keyAlgorithm: KeyAlgorithmName): Promise<webcrypto.CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return crypto.subtle.importKey('pkcs8', der, GENERATION[keyAlgorithm], true, ['sign']);
}

/** The signature algorithm a key signs with (the hash is fixed per key type, see the module header). */
function signingAlgorithmFor(
  key: webcrypto.CryptoKey,
): webcrypto.Algorithm | webcrypto.EcdsaParams | webcrypto.RsaPssParams {
  const algorithm = key.algorithm as webcrypto.Algorithm & { namedCurve?: string };
  switch (algorithm.name) {
    case 'RSASSA-PKCS1-v1_5':
      return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    case 'RSA-PSS':
      return { name: 'RSA-PSS', saltLength: 32, hash: 'SHA-256' };
    case 'ECDSA':
      return {
        name: 'ECDSA',
        hash: algorithm.namedCurve === 'P-384' ? 'SHA-384' : 'SHA-256',
      } satisfies webcrypto.EcdsaParams;
    case 'Ed25519':
      return { name: 'Ed25519' };
    default:
      throw new Error(`dev PKI cannot sign with a ${algorithm.name} key`);
  }
}

/** A random positive serial number: 16 bytes, first byte 0x01–0x7f (so DER needs no sign byte). */
export function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

function keyUsageFlags(names: readonly KeyUsageName[]): x509.KeyUsageFlags {
  const bits = names.reduce((flags, name) => flags | x509.KeyUsageFlags[name], 0);
  // KeyUsageFlags is a bit-flag enum: an OR of its members is a valid value the enum type cannot express.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
  return bits;
}

function generalNames(san: SubjectAlternativeNames): x509.JsonGeneralNames {
  return [
    ...(san.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(san.email ?? []).map((value) => ({ type: 'email' as const, value })),
    ...(san.upn ?? []).map((value) => ({ type: 'upn' as const, value })),
    ...(san.uri ?? []).map((value) => ({ type: 'url' as const, value })),
    ...(san.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
}

/**
 * NameConstraints ::= SEQUENCE { permittedSubtrees [0] GeneralSubtrees OPTIONAL, excludedSubtrees [1] GeneralSubtrees
 * OPTIONAL }.
 */
function nameConstraintsExtension(
  constraints: NonNullable<IssueCertificateOptions['nameConstraints']>,
): x509.Extension {
  // GeneralSubtree ::= SEQUENCE { base GeneralName } (minimum and maximum left at their defaults).
  const subtree = (tag: number, value: Uint8Array): Sequence =>
    new Sequence({ value: [new Primitive({ idBlock: { tagClass: 3, tagNumber: tag }, valueHex: value })] });
  const ascii = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'ascii'));
  const octets = (dotted: string): number[] => dotted.split('.').map(Number);
  const subtrees = (names: NameSubtrees): Sequence[] => [
    ...(names.dns ?? []).map((dns) => subtree(2, ascii(dns))),
    ...(names.email ?? []).map((email) => subtree(1, ascii(email))),
    ...(names.ipv4 ?? []).map(([address, mask]) => subtree(7, new Uint8Array([...octets(address), ...octets(mask)]))),
  ];
  const fields: Constructed[] = [];
  for (const [tag, names] of [
    [0, constraints.permitted],
    [1, constraints.excluded],
  ] as const) {
    const list = names ? subtrees(names) : [];
    if (list.length > 0) fields.push(new Constructed({ idBlock: { tagClass: 3, tagNumber: tag }, value: list }));
  }
  return new x509.Extension(NAME_CONSTRAINTS_OID, true, new Sequence({ value: fields }).toBER());
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/** Issues a certificate (self-signed when no issuer is given) with a new key pair. */
export async function issueCertificate(options: IssueCertificateOptions): Promise<IssuedCertificate> {
  const keys = options.keys ?? (await generateKeyPair(options.keyAlgorithm));
  const isCa = options.ca !== undefined;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(isCa, options.ca?.pathLength, true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, crypto),
  ];
  if (options.issuer) {
    extensions.push(await x509.AuthorityKeyIdentifierExtension.create(options.issuer.cert.publicKey, false, crypto));
  }
  const keyUsage = options.keyUsage ?? (isCa ? ['keyCertSign', 'cRLSign'] : ['digitalSignature']);
  if (keyUsage.length > 0) extensions.push(new x509.KeyUsagesExtension(keyUsageFlags(keyUsage), true));
  if (options.extKeyUsage && options.extKeyUsage.length > 0) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension(
        options.extKeyUsage.map((usage) => EKU_NAMES[usage] ?? usage),
        false,
      ),
    );
  }
  const names = options.san ? generalNames(options.san) : [];
  if (names.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(names, false));
  if (options.crlDistributionUrl !== undefined) {
    extensions.push(new x509.CRLDistributionPointsExtension([options.crlDistributionUrl], false));
  }
  if (options.ocspUrls && options.ocspUrls.length > 0)
    extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [...options.ocspUrls] }, false));
  if (options.ocspNoCheck) extensions.push(new x509.Extension(OCSP_NOCHECK_OID, false, DER_NULL));
  if (options.nameConstraints) extensions.push(nameConstraintsExtension(options.nameConstraints));
  extensions.push(...(options.extraExtensions ?? []));

  const common = {
    serialNumber: options.serial ?? randomSerial(),
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    extensions,
  };
  const parsed = options.issuer
    ? await x509.X509CertificateGenerator.create(
        {
          ...common,
          subject: options.subject,
          issuer: options.issuer.cert.subjectName,
          publicKey: keys.publicKey,
          signingKey: options.issuer.key,
          signingAlgorithm: options.signatureAlgorithm ?? signingAlgorithmFor(options.issuer.key),
        },
        crypto,
      )
    : await x509.X509CertificateGenerator.createSelfSigned(
        {
          ...common,
          name: options.subject,
          keys,
          signingAlgorithm: options.signatureAlgorithm ?? signingAlgorithmFor(keys.privateKey),
        },
        crypto,
      );
  return {
    cert: { der: new Uint8Array(parsed.rawData), pem: `${parsed.toString('pem')}\n`, parsed },
    key: await pkcs8Pem(keys.privateKey),
    keys,
    keyAlgorithm: options.keyAlgorithm,
    credentials: { cert: parsed, key: keys.privateKey },
  };
}

/** Issues a CRL signed by `issuer`, with authorityKeyIdentifier and cRLNumber. */
export async function issueCrl(options: IssueCrlOptions): Promise<IssuedCrl> {
  if (!Number.isSafeInteger(options.crlNumber) || options.crlNumber < 0) {
    throw new Error(`CRL number must be a non-negative integer, got ${options.crlNumber}`);
  }
  const crlNumber = new Integer({ value: options.crlNumber }).toBER();
  const parsed = await x509.X509CrlGenerator.create(
    {
      issuer: options.issuer.cert.subjectName,
      thisUpdate: options.thisUpdate,
      nextUpdate: options.nextUpdate,
      signingKey: options.issuer.key,
      signingAlgorithm: signingAlgorithmFor(options.issuer.key),
      extensions: [
        await x509.AuthorityKeyIdentifierExtension.create(options.issuer.cert.publicKey, false, crypto),
        new x509.Extension(CRL_NUMBER_OID, false, crlNumber),
      ],
      entries: options.revoked.map((entry) => ({
        serialNumber: entry.serial,
        revocationDate: entry.date,
        ...(entry.reason === undefined ? {} : { reason: entry.reason }),
      })),
    },
    crypto,
  );
  return { der: new Uint8Array(parsed.rawData), pem: `${parsed.toString('pem')}\n`, parsed };
}

/** Reads the cRLNumber of a CRL (undefined when it has none). */
export function crlNumberOf(crl: x509.X509Crl): number | undefined {
  const extension = crl.getExtension(CRL_NUMBER_OID);
  if (!extension) return undefined;
  const bytes = new Uint8Array(extension.value);
  // DER INTEGER: tag 0x02, short length, big-endian two's complement (dev CRL numbers are small and positive).
  if (bytes[0] !== 0x02 || bytes.length < 3) return undefined;
  return bytes.subarray(2).reduce((value, byte) => value * 256 + byte, 0);
}
