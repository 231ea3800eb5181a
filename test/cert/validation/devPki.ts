/**
 * A small dev PKI for validation tests, built with @peculiar/x509 on Node's WebCrypto: roots,
 * intermediates and leaves with chosen keys, validity, extensions and signature algorithms, plus
 * CRLs. No real keys; everything is generated per test run.
 */
import './reflectMetadataPolyfill.js';
import { webcrypto } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
type EcdsaParams = webcrypto.EcdsaParams;
type RsaPssParams = webcrypto.RsaPssParams;

/** ECDSA signing parameters (for choosing e.g. SHA-1 in a test). */
export type EcdsaSigning = EcdsaParams;

/** Fixed validation time used by the tests. */
export const NOW = new Date('2025-06-01T00:00:00Z');
const LONG_AGO = new Date('2020-01-01T00:00:00Z');
const FAR_AHEAD = new Date('2035-01-01T00:00:00Z');

/** Key algorithms the dev PKI can issue. */
export type KeyKind = 'p256' | 'p384' | 'rsa2048' | 'rsa1024' | 'rsa-pss' | 'ed25519';

/** A generated certificate with its keys. */
export interface Issued {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
  readonly der: Uint8Array;
  readonly pem: string;
  readonly signingAlgorithm: Algorithm;
}

const keyAlgorithms: Record<KeyKind, { generate: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm; sign: Algorithm | EcdsaParams | RsaPssParams }> = {
  p256: { generate: { name: 'ECDSA', namedCurve: 'P-256' }, sign: { name: 'ECDSA', hash: 'SHA-256' } },
  p384: { generate: { name: 'ECDSA', namedCurve: 'P-384' }, sign: { name: 'ECDSA', hash: 'SHA-384' } },
  rsa2048: {
    generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
  rsa1024: {
    generate: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSASSA-PKCS1-v1_5' },
  },
  'rsa-pss': {
    generate: { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
    sign: { name: 'RSA-PSS', saltLength: 32 },
  },
  ed25519: { generate: { name: 'Ed25519' }, sign: { name: 'Ed25519' } },
};

const keyCache = new Map<string, CryptoKeyPair>();

/** Generate (or reuse, by label) a key pair. */
export async function keyPair(kind: KeyKind, label = `${kind}-${keyCache.size}`): Promise<CryptoKeyPair> {
  const key = `${kind}:${label}`;
  const cached = keyCache.get(key);
  if (cached) return cached;
  const pair = (await webcrypto.subtle.generateKey(keyAlgorithms[kind].generate as EcKeyGenParams, true, ['sign', 'verify']));
  keyCache.set(key, pair);
  return pair;
}

/** Options for issuing a certificate. */
export interface IssueOptions {
  readonly subject: string;
  readonly issuer?: Issued;
  readonly key?: KeyKind;
  readonly ca?: boolean;
  readonly pathLength?: number;
  readonly keyUsage?: x509.KeyUsageFlags;
  readonly eku?: string[];
  readonly san?: x509.JsonGeneralName[];
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly serialNumber?: string;
  readonly signingAlgorithm?: Algorithm;
  readonly extraExtensions?: x509.Extension[];
  /** Skip the basicConstraints extension entirely. */
  readonly noBasicConstraints?: boolean;
}

let serial = 0x1000;

/** Issue a certificate (self-signed when no issuer). */
export async function issue(options: IssueOptions): Promise<Issued> {
  const keys = await keyPair(options.key ?? 'p256', options.subject);
  const signer = options.issuer;
  const signingAlgorithm = options.signingAlgorithm ?? (signer ? signer.signingAlgorithm : keyAlgorithms[options.key ?? 'p256'].sign);
  const ca = options.ca ?? false;
  const extensions: x509.Extension[] = [];
  if (!options.noBasicConstraints) extensions.push(new x509.BasicConstraintsExtension(ca, options.pathLength, true));
  const caUsages: number = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign;
  const keyUsage: number = options.keyUsage ?? (ca ? caUsages : x509.KeyUsageFlags.digitalSignature);
  // KeyUsageFlags is a bit-flag enum: an OR of its members is a valid value the enum type cannot express.
  // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment
  extensions.push(new x509.KeyUsagesExtension(keyUsage, true));
  if (options.eku) extensions.push(new x509.ExtendedKeyUsageExtension(options.eku, false));
  if (options.san) extensions.push(new x509.SubjectAlternativeNameExtension(options.san, false));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.publicKey));
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(signer ? signer.keys.publicKey : keys.publicKey));
  extensions.push(...(options.extraExtensions ?? []));
  serial += 1;
  const base = {
    serialNumber: options.serialNumber ?? serial.toString(16).padStart(8, '0'),
    notBefore: options.notBefore ?? LONG_AGO,
    notAfter: options.notAfter ?? FAR_AHEAD,
    extensions,
    signingAlgorithm,
  };
  const cert = signer
    ? await x509.X509CertificateGenerator.create({ ...base, subject: options.subject, issuer: signer.cert.subject, publicKey: keys.publicKey, signingKey: signer.keys.privateKey })
    : await x509.X509CertificateGenerator.createSelfSigned({ ...base, name: options.subject, keys });
  return { cert, keys, der: new Uint8Array(cert.rawData), pem: cert.toString('pem'), signingAlgorithm: signer ? signer.signingAlgorithm : keyAlgorithms[options.key ?? 'p256'].sign };
}

/** DER of an INTEGER, for the cRLNumber extension. */
function integerDer(value: number): ArrayBuffer {
  return new asn1js.Integer({ value }).toBER();
}

/** Issue a CRL from `issuer` revoking the given serials. */
export async function issueCrl(issuer: Issued, revokedSerials: string[], options: { thisUpdate?: Date; nextUpdate?: Date; crlNumber?: number } = {}): Promise<Uint8Array> {
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.cert.subject,
    thisUpdate: options.thisUpdate ?? new Date('2025-05-31T00:00:00Z'),
    nextUpdate: options.nextUpdate ?? new Date('2025-06-07T00:00:00Z'),
    signingAlgorithm: issuer.signingAlgorithm,
    signingKey: issuer.keys.privateKey,
    extensions: [new x509.Extension('2.5.29.20', false, integerDer(options.crlNumber ?? 1)), await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.publicKey)],
    entries: revokedSerials.map((serialNumber) => ({ serialNumber, revocationDate: new Date('2025-05-30T00:00:00Z'), reason: x509.X509CrlReason.keyCompromise })),
  });
  return new Uint8Array(crl.rawData);
}

/** A critical nameConstraints extension with permitted/excluded dNSName, rfc822Name and directoryName subtrees. */
export function nameConstraintsExtension(constraints: { permittedDns?: string[]; excludedDns?: string[]; permittedEmail?: string[]; excludedIpV4?: [string, string][] }): x509.Extension {
  const subtree = (tag: number, value: Uint8Array): asn1js.Sequence =>
    new asn1js.Sequence({ value: [new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: tag }, valueHex: value })] });
  const text = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'ascii'));
  const ipMask = ([address, mask]: [string, string]): Uint8Array => new Uint8Array([...address.split('.').map(Number), ...mask.split('.').map(Number)]);
  const permitted = [...(constraints.permittedDns ?? []).map((dns) => subtree(2, text(dns))), ...(constraints.permittedEmail ?? []).map((email) => subtree(1, text(email)))];
  const excluded = [...(constraints.excludedDns ?? []).map((dns) => subtree(2, text(dns))), ...(constraints.excludedIpV4 ?? []).map((range) => subtree(7, ipMask(range)))];
  const fields: asn1js.Constructed[] = [];
  if (permitted.length > 0) fields.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 0 }, value: permitted }));
  if (excluded.length > 0) fields.push(new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: excluded }));
  return new x509.Extension('2.5.29.30', true, new asn1js.Sequence({ value: fields }).toBER());
}

/** The clientAuth and serverAuth EKU OIDs. */
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
