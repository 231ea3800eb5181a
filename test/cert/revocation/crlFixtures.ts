/**
 * CRLs and distribution points with every RFC 5280 scope field, for the revocation tests: a few
 * DER helpers (the dev PKI's `issueCrl` writes only cRLNumber and AKI), the issuingDistributionPoint
 * (§5.2.5), deltaCRLIndicator (§5.2.4), certificateIssuer entries (§5.3.3) and a certificate's
 * cRLDistributionPoints with reasons and cRLIssuer (§4.2.1.13).
 * May import: @peculiar/x509, dev/pki.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import type { IssuerCredentials } from '../../../dev/pki/issue.js';

function length(size: number): number[] {
  if (size < 0x80) return [size];
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** One DER TLV. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  const content = Buffer.concat(parts);
  return new Uint8Array([tag, ...length(content.length), ...content]);
}

const sequence = (...parts: Uint8Array[]): Uint8Array => tlv(0x30, ...parts);
const ascii = (value: string): Uint8Array => new Uint8Array(Buffer.from(value, 'ascii'));
const TRUE_IMPLICIT = (tag: number): Uint8Array => tlv(0x80 | tag, new Uint8Array([0xff]));

/** ReasonFlags bits (RFC 5280 §4.2.1.13). */
export const Reason = {
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  privilegeWithdrawn: 7,
  aACompromise: 8,
} as const;
export type ReasonName = keyof typeof Reason;
export const ALL_REASON_NAMES = Object.keys(Reason) as ReasonName[];

/** ReasonFlags as the content of a BIT STRING (unused-bits octet first), minimal DER form. */
function reasonBits(reasons: readonly ReasonName[]): Uint8Array {
  const bytes = [0, 0];
  for (const reason of reasons) {
    const bit = Reason[reason];
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  }
  while (bytes.length > 0 && bytes[bytes.length - 1] === 0) bytes.pop();
  const last = bytes[bytes.length - 1] ?? 0;
  let unused = 0;
  if (bytes.length > 0) while (((last >> unused) & 1) === 0) unused += 1;
  return new Uint8Array([unused, ...bytes]);
}

/** A GeneralName: a URI, or a directoryName given as the DER of a Name. */
export type Name = { readonly uri: string } | { readonly directory: Uint8Array };

function generalName(name: Name): Uint8Array {
  return 'uri' in name ? tlv(0x86, ascii(name.uri)) : tlv(0xa4, name.directory);
}

/** The DER of a certificate's subject Name. */
export function subjectDer(credentials: IssuerCredentials): Uint8Array {
  return new Uint8Array(credentials.cert.subjectName.toArrayBuffer());
}

/** The DER of a Name with one CN. */
export function nameDer(commonName: string): Uint8Array {
  return new Uint8Array(new x509.Name(`CN=${commonName}`).toArrayBuffer());
}

/** The DER of one RDN (SET OF one AttributeTypeAndValue), e.g. OU=partition 1, for nameRelativeToCRLIssuer. */
function relativeName(organizationalUnit: string): Uint8Array {
  const attribute = sequence(
    tlv(0x06, new Uint8Array([0x55, 0x04, 0x0b])),
    tlv(0x0c, Buffer.from(organizationalUnit, 'utf8')),
  );
  return attribute;
}

/** A DistributionPointName: full names, or a fragment (OU=…) relative to the CRL issuer. */
export type PointName = { readonly full: readonly Name[] } | { readonly relativeOu: string };

function distributionPointName(name: PointName): Uint8Array {
  if ('full' in name) return tlv(0xa0, tlv(0xa0, ...name.full.map(generalName)));
  return tlv(0xa0, tlv(0xa1, relativeName(name.relativeOu)));
}

/** One DistributionPoint of a certificate. */
export interface PointOptions {
  readonly name?: PointName;
  readonly reasons?: readonly ReasonName[];
  readonly crlIssuer?: readonly Name[];
}

/** A cRLDistributionPoints extension (non-critical). */
export function distributionPointsExtension(points: readonly PointOptions[]): x509.Extension {
  const encoded = points.map((point) =>
    sequence(
      ...(point.name === undefined ? [] : [distributionPointName(point.name)]),
      ...(point.reasons === undefined ? [] : [tlv(0x81, reasonBits(point.reasons))]),
      ...(point.crlIssuer === undefined ? [] : [tlv(0xa2, ...point.crlIssuer.map(generalName))]),
    ),
  );
  return new x509.Extension('2.5.29.31', false, sequence(...encoded));
}

/** The issuingDistributionPoint fields. */
export interface IdpOptions {
  readonly name?: PointName;
  readonly onlyContainsUserCerts?: boolean;
  readonly onlyContainsCACerts?: boolean;
  readonly onlySomeReasons?: readonly ReasonName[];
  readonly indirectCrl?: boolean;
  readonly onlyContainsAttributeCerts?: boolean;
}

function issuingDistributionPoint(options: IdpOptions): x509.Extension {
  const value = sequence(
    ...(options.name === undefined ? [] : [distributionPointName(options.name)]),
    ...(options.onlyContainsUserCerts ? [TRUE_IMPLICIT(1)] : []),
    ...(options.onlyContainsCACerts ? [TRUE_IMPLICIT(2)] : []),
    ...(options.onlySomeReasons === undefined ? [] : [tlv(0x83, reasonBits(options.onlySomeReasons))]),
    ...(options.indirectCrl ? [TRUE_IMPLICIT(4)] : []),
    ...(options.onlyContainsAttributeCerts ? [TRUE_IMPLICIT(5)] : []),
  );
  return new x509.Extension('2.5.29.28', true, value);
}

function integer(value: number): Uint8Array {
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  if (bytes.length === 0 || (bytes[0] ?? 0) >= 0x80) bytes.unshift(0);
  return tlv(0x02, new Uint8Array(bytes));
}

/** One revoked entry. */
export interface EntryOptions {
  readonly serial: string;
  readonly reason?: x509.X509CrlReason;
  /** certificateIssuer entry extension (indirect CRLs): this entry and the following ones belong to this issuer. */
  readonly certificateIssuer?: Uint8Array;
}

/** A CRL with any scope. */
export interface CrlOptions {
  readonly signer: IssuerCredentials;
  /** The CRL issuer name (DER); default the signer's subject. */
  readonly issuerName?: Uint8Array;
  readonly entries?: readonly EntryOptions[];
  readonly crlNumber?: number;
  readonly idp?: IdpOptions;
  /** Makes a delta CRL with this BaseCRLNumber. */
  readonly deltaOf?: number;
  readonly thisUpdate?: Date;
  readonly nextUpdate?: Date;
  /** freshestCRL (RFC 5280 §5.2.6): where the delta CRLs of this complete CRL are published. */
  readonly freshestUris?: readonly string[];
}

/** Signs a CRL current at the tests' NOW (2025-06-01) unless told otherwise. */
export async function signCrl(options: CrlOptions): Promise<Uint8Array> {
  const extensions: x509.Extension[] = [
    await x509.AuthorityKeyIdentifierExtension.create(options.signer.cert.publicKey, false, webcrypto),
    new x509.Extension('2.5.29.20', false, integer(options.crlNumber ?? 1)),
  ];
  if (options.idp !== undefined) extensions.push(issuingDistributionPoint(options.idp));
  if (options.deltaOf !== undefined) extensions.push(new x509.Extension('2.5.29.27', true, integer(options.deltaOf)));
  if (options.freshestUris !== undefined) {
    extensions.push(
      new x509.Extension(
        '2.5.29.46',
        false,
        sequence(...options.freshestUris.map((uri) => sequence(distributionPointName({ full: [{ uri }] })))),
      ),
    );
  }
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: new x509.Name(options.issuerName ?? subjectDer(options.signer)),
      thisUpdate: options.thisUpdate ?? new Date('2025-05-31T00:00:00Z'),
      nextUpdate: options.nextUpdate ?? new Date('2025-06-07T00:00:00Z'),
      signingKey: options.signer.key,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } satisfies webcrypto.EcdsaParams,
      extensions,
      entries: (options.entries ?? []).map((entry) => ({
        serialNumber: entry.serial,
        revocationDate: new Date('2025-05-30T00:00:00Z'),
        ...(entry.reason === undefined ? {} : { reason: entry.reason }),
        ...(entry.certificateIssuer === undefined
          ? {}
          : { extensions: [new x509.Extension('2.5.29.29', true, sequence(tlv(0xa4, entry.certificateIssuer)))] }),
      })),
    },
    webcrypto,
  );
  return new Uint8Array(crl.rawData);
}
