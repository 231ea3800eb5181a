/**
 * X.509 CRL decoding (RFC 5280 §5) and revoked-serial lookup. Parsing is separate from checking
 * so a timer job can pre-parse CRLs off the request path; lookups are O(1) by (issuer, serial).
 * Signature and scope checks live in `validation/revocationCheck.ts`.
 * May import: ../x509/*.
 */
import { readTime } from '../x509/asn1Time.js';
import { decodeAlgorithmIdentifier, type AlgorithmIdentifier } from '../x509/certificate.js';
import type { ParsedCertificate } from '../x509/certificate.js';
import {
  DerStructureError,
  UniversalTag,
  bitStringFromContent,
  decodeDer,
  expectUniversal,
  integerContent,
  isContextTag,
  readBitString,
  readBoolean,
  readObjectIdentifier,
  readSmallInteger,
  toHex,
  type DerNode,
} from '../x509/derNodes.js';
import { decodeDistributionPointName, type DistributionPoint } from '../x509/extensions.js';
import { decodeGeneralNames, decodeImplicitGeneralNames, type GeneralName } from '../x509/generalNames.js';
import { decodeDistinguishedName, type DistinguishedName, type NameAttribute } from '../x509/names.js';
import { ExtensionOid } from '../x509/oids.js';
import { derBlobsFromInput } from '../x509/pemBlocks.js';
import { messageOf } from '../../errors.js';

/** CRL entry reason codes (RFC 5280 §5.3.1). */
export const CRL_REASON_NAMES: readonly string[] = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'unused',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
];

/**
 * ReasonFlags (RFC 5280 §4.2.1.13) as a bit mask: bit n is the BIT STRING's bit n
 * (1 keyCompromise … 8 aACompromise). Bit 0 ("unused") is never a reason.
 */
export const ALL_REASONS = 0b1_1111_1110;

/** The names of the ReasonFlags bits, by bit number. */
export const REASON_FLAG_NAMES: readonly string[] = [
  'unused',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'privilegeWithdrawn',
  'aACompromise',
];

/** ReasonFlags BIT STRING bytes (unused bits already dropped) as a mask of {@link ALL_REASONS}. */
export function reasonMaskFromBytes(bytes: Uint8Array): number {
  let mask = 0;
  for (let bit = 1; bit <= 8; bit += 1) {
    if (((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0) mask |= 1 << bit;
  }
  return mask;
}

/** The reason names in a mask, for messages. */
export function reasonMaskNames(mask: number): string[] {
  return REASON_FLAG_NAMES.filter((_, bit) => bit > 0 && (mask & (1 << bit)) !== 0);
}

/** One revoked certificate. */
export interface RevokedEntry {
  readonly serialNumber: string;
  readonly revocationDate: Date;
  readonly reason: string | undefined;
  /** The certificate issuer (differs from the CRL issuer only in indirect CRLs). */
  readonly certificateIssuer: string;
}

/** The issuingDistributionPoint extension. */
export interface IssuingDistributionPoint {
  readonly critical: boolean;
  readonly fullName: readonly GeneralName[] | undefined;
  /** The distributionPoint as a fragment appended to the CRL issuer's name (RFC 5280 §5.2.5). */
  readonly nameRelativeToCrlIssuer: readonly NameAttribute[] | undefined;
  readonly onlyContainsUserCerts: boolean;
  readonly onlyContainsCACerts: boolean;
  readonly onlySomeReasons: boolean;
  /** The onlySomeReasons mask (see {@link ALL_REASONS}); undefined when the field is absent (all reasons). */
  readonly reasons: number | undefined;
  readonly indirectCrl: boolean;
  readonly onlyContainsAttributeCerts: boolean;
  /** The extension value as hex: a delta CRL and its base must carry identical ones (RFC 5280 §5.2.4). */
  readonly valueHex: string;
}

/** A decoded CRL. */
export interface ParsedCrl {
  readonly der: Uint8Array;
  readonly tbsDer: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signatureValue: Uint8Array;
  readonly issuer: DistinguishedName;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** cRLNumber as hex, when present. */
  readonly crlNumber: string | undefined;
  readonly authorityKeyIdentifier: string | undefined;
  readonly issuingDistributionPoint: IssuingDistributionPoint | undefined;
  /** cRLNumber was marked critical (RFC 5280 §5.2.3 requires non-critical). */
  readonly crlNumberCritical: boolean;
  /** True for delta CRLs (used only together with their base, never on their own). */
  readonly isDelta: boolean;
  /** A delta CRL's BaseCRLNumber (deltaCRLIndicator), as hex. */
  readonly baseCrlNumber: string | undefined;
  /** URIs of the freshestCRL extension (where this complete CRL's delta CRLs are published). */
  readonly freshestCrlUris: readonly string[];
  /** Whether an entry carries the certificateIssuer extension (meaningful only in an indirect CRL). */
  readonly hasCertificateIssuerEntries: boolean;
  /** Critical CRL or CRL-entry extensions certgate does not process (the CRL is then unusable). */
  readonly unknownCriticalExtensions: readonly string[];
  /** Revoked entries keyed by {@link revocationKey}. */
  readonly revoked: ReadonlyMap<string, RevokedEntry>;
}

/** Why a CRL could not be decoded. */
export interface CrlParseFailure {
  readonly reason: 'certificate-malformed';
  readonly detail: string;
}

/** Lookup key of a revoked entry: the issuer's comparison name and the serial hex. */
export function revocationKey(issuerNormalized: string, serialNumber: string): string {
  return `${issuerNormalized}#${serialNumber}`;
}

interface ExtensionField {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

function readExtensionList(sequence: DerNode): ExtensionField[] {
  expectUniversal(sequence, UniversalTag.sequence, 'crl extensions');
  const seen = new Set<string>();
  return sequence.children.map((extension) => {
    expectUniversal(extension, UniversalTag.sequence, 'crl extension');
    const [oidNode, second, third] = extension.children;
    const oid = readObjectIdentifier(oidNode, 'crl extension id');
    if (seen.has(oid)) throw new DerStructureError(`duplicate CRL extension ${oid}`);
    seen.add(oid);
    let critical = false;
    let valueNode = second;
    if (second?.tagClass === 'universal' && second.tag === UniversalTag.boolean) {
      critical = readBoolean(second, 'crl extension critical');
      valueNode = third;
    }
    return {
      oid,
      critical,
      value: expectUniversal(valueNode, UniversalTag.octetString, 'crl extension value').content,
    };
  });
}

function implicitBoolean(node: DerNode, what: string): boolean {
  return readBoolean({ ...node, tagClass: 'universal', tag: UniversalTag.boolean }, what);
}

function decodeIssuingDistributionPoint(value: Uint8Array, critical: boolean): IssuingDistributionPoint {
  const sequence = expectUniversal(decodeDer(value), UniversalTag.sequence, 'issuingDistributionPoint');
  let name: Pick<DistributionPoint, 'fullName' | 'nameRelativeToCrlIssuer'> = {
    fullName: undefined,
    nameRelativeToCrlIssuer: undefined,
  };
  let reasons: number | undefined;
  const flags = {
    onlyContainsUserCerts: false,
    onlyContainsCACerts: false,
    onlySomeReasons: false,
    indirectCrl: false,
    onlyContainsAttributeCerts: false,
  };
  for (const field of sequence.children) {
    if (isContextTag(field, 0)) name = decodeDistributionPointName(field);
    else if (isContextTag(field, 1)) flags.onlyContainsUserCerts = implicitBoolean(field, 'onlyContainsUserCerts');
    else if (isContextTag(field, 2)) flags.onlyContainsCACerts = implicitBoolean(field, 'onlyContainsCACerts');
    else if (isContextTag(field, 3)) {
      flags.onlySomeReasons = true;
      reasons = reasonMaskFromBytes(bitStringFromContent(field.content, 'onlySomeReasons').bytes);
    } else if (isContextTag(field, 4)) flags.indirectCrl = implicitBoolean(field, 'indirectCRL');
    else if (isContextTag(field, 5))
      flags.onlyContainsAttributeCerts = implicitBoolean(field, 'onlyContainsAttributeCerts');
    else throw new DerStructureError('issuingDistributionPoint: unexpected field');
  }
  return {
    critical,
    fullName: name.fullName,
    nameRelativeToCrlIssuer: name.nameRelativeToCrlIssuer,
    reasons,
    valueHex: toHex(value),
    ...flags,
  };
}

/**
 * The URIs of a CRLDistributionPoints-shaped extension value (cRLDistributionPoints or
 * freshestCRL, RFC 5280 §4.2.1.13 and §4.2.1.15), e.g. to fetch delta CRLs. Throws DerStructureError.
 */
export function distributionPointUris(value: Uint8Array): string[] {
  const sequence = expectUniversal(decodeDer(value), UniversalTag.sequence, 'distribution points');
  const found: string[] = [];
  for (const point of sequence.children) {
    expectUniversal(point, UniversalTag.sequence, 'distributionPoint');
    for (const field of point.children) {
      if (!isContextTag(field, 0)) continue;
      const [choice] = field.children;
      if (choice === undefined || !isContextTag(choice, 0)) continue;
      for (const name of decodeImplicitGeneralNames(choice, 'fullName'))
        if (name.kind === 'uniformResourceIdentifier') found.push(name.value);
    }
  }
  return found;
}

function decodeCrlStructure(der: Uint8Array): ParsedCrl {
  const list = expectUniversal(
    decodeDer(der, { maxNodes: Math.max(10_000, der.length) }),
    UniversalTag.sequence,
    'certificateList',
  );
  if (list.children.length !== 3) throw new DerStructureError('certificateList: arity');
  const [tbs, algorithmNode, signatureNode] = list.children as [DerNode, DerNode, DerNode];
  expectUniversal(tbs, UniversalTag.sequence, 'tbsCertList');
  const fields = [...tbs.children];
  let version = 1;
  if (fields[0]?.tagClass === 'universal' && fields[0].tag === UniversalTag.integer) {
    version = readSmallInteger(fields.shift()?.content ?? new Uint8Array(), 'crl version') + 1;
    if (version !== 2) throw new DerStructureError('crl version');
  }
  const innerAlgorithm = decodeAlgorithmIdentifier(fields.shift(), 'crl tbs signature');
  const issuerNode = fields.shift();
  if (issuerNode === undefined) throw new DerStructureError('crl issuer missing');
  const issuer = decodeDistinguishedName(issuerNode);
  const thisUpdate = readTime(fields.shift(), 'thisUpdate');
  let nextUpdate: Date | undefined;
  const maybeNext = fields[0];
  if (
    maybeNext?.tagClass === 'universal' &&
    (maybeNext.tag === UniversalTag.utcTime || maybeNext.tag === UniversalTag.generalizedTime)
  ) {
    nextUpdate = readTime(fields.shift(), 'nextUpdate');
  }
  let revokedNode: DerNode | undefined;
  if (fields[0]?.tagClass === 'universal' && fields[0].tag === UniversalTag.sequence) revokedNode = fields.shift();
  let extensions: ExtensionField[] = [];
  const extensionsWrapper = fields.shift();
  if (extensionsWrapper !== undefined) {
    if (!isContextTag(extensionsWrapper, 0) || extensionsWrapper.children[0] === undefined || version !== 2)
      throw new DerStructureError('crl extensions');
    extensions = readExtensionList(extensionsWrapper.children[0]);
  }
  if (fields.length > 0) throw new DerStructureError('tbsCertList: trailing fields');
  const unknownCriticalExtensions: string[] = [];
  let crlNumber: string | undefined;
  let crlNumberCritical = false;
  let authorityKeyIdentifier: string | undefined;
  let issuingDistributionPoint: IssuingDistributionPoint | undefined;
  let isDelta = false;
  let baseCrlNumber: string | undefined;
  let freshestCrlUris: string[] = [];
  for (const extension of extensions) {
    switch (extension.oid) {
      case ExtensionOid.crlNumber:
        crlNumberCritical = extension.critical;
        crlNumber = toHex(
          integerContent(
            expectUniversal(decodeDer(extension.value), UniversalTag.integer, 'cRLNumber').content,
            'cRLNumber',
          ),
        );
        break;
      case ExtensionOid.authorityKeyIdentifier: {
        const aki = expectUniversal(decodeDer(extension.value), UniversalTag.sequence, 'crl authorityKeyIdentifier');
        const keyId = aki.children.find((child) => isContextTag(child, 0));
        authorityKeyIdentifier = keyId === undefined ? undefined : toHex(keyId.content);
        break;
      }
      case ExtensionOid.issuingDistributionPoint:
        issuingDistributionPoint = decodeIssuingDistributionPoint(extension.value, extension.critical);
        break;
      case ExtensionOid.deltaCrlIndicator:
        isDelta = true;
        baseCrlNumber = toHex(
          integerContent(
            expectUniversal(decodeDer(extension.value), UniversalTag.integer, 'deltaCRLIndicator').content,
            'deltaCRLIndicator',
          ),
        );
        break;
      case ExtensionOid.freshestCrl:
        freshestCrlUris = distributionPointUris(extension.value);
        break;
      case ExtensionOid.issuerAltName:
      case ExtensionOid.authorityInfoAccess:
        break;
      default:
        if (extension.critical) unknownCriticalExtensions.push(extension.oid);
    }
  }
  const revoked = new Map<string, RevokedEntry>();
  let entryIssuer = issuer;
  let hasCertificateIssuerEntries = false;
  for (const entry of revokedNode?.children ?? []) {
    expectUniversal(entry, UniversalTag.sequence, 'revokedCertificate');
    const [serialNode, dateNode, entryExtensionsNode] = entry.children;
    const serialNumber = toHex(
      integerContent(expectUniversal(serialNode, UniversalTag.integer, 'revoked serial').content, 'revoked serial'),
    );
    const revocationDate = readTime(dateNode, 'revocationDate');
    let reason: string | undefined;
    if (entryExtensionsNode !== undefined) {
      for (const extension of readExtensionList(entryExtensionsNode)) {
        if (extension.oid === ExtensionOid.crlReason) {
          const code =
            expectUniversal(decodeDer(extension.value), UniversalTag.enumerated, 'reasonCode').content[0] ?? 0;
          reason = CRL_REASON_NAMES[code] ?? `reason-${code}`;
        } else if (extension.oid === ExtensionOid.certificateIssuer) {
          const names = decodeGeneralNames(decodeDer(extension.value), 'certificateIssuer');
          const directory = names.find((name) => name.kind === 'directoryName');
          // An issuer named by anything but a directoryName matches no certificate issuer.
          entryIssuer =
            directory?.kind === 'directoryName'
              ? directory.name
              : {
                  ...entryIssuer,
                  normalized: `#unmatched:${toHex(extension.value)}`,
                  text: 'non-directory certificate issuer',
                };
          hasCertificateIssuerEntries = true;
        } else if (extension.oid === '2.5.29.24') {
          // invalidityDate: informational.
        } else if (extension.critical) {
          unknownCriticalExtensions.push(extension.oid);
        }
      }
    }
    revoked.set(revocationKey(entryIssuer.normalized, serialNumber), {
      serialNumber,
      revocationDate,
      reason,
      certificateIssuer: entryIssuer.text,
    });
  }
  const signatureAlgorithm = decodeAlgorithmIdentifier(algorithmNode, 'crl signatureAlgorithm');
  if (!Buffer.from(signatureAlgorithm.der).equals(Buffer.from(innerAlgorithm.der)))
    throw new DerStructureError('crl signature algorithms differ');
  const { unusedBits, bytes: signatureValue } = readBitString(signatureNode, 'crl signatureValue');
  if (unusedBits !== 0) throw new DerStructureError('crl signatureValue: unused bits');
  return {
    der: list.encoded,
    tbsDer: tbs.encoded,
    signatureAlgorithm,
    signatureValue,
    issuer,
    thisUpdate,
    nextUpdate,
    crlNumber,
    crlNumberCritical,
    authorityKeyIdentifier,
    issuingDistributionPoint,
    isDelta,
    baseCrlNumber,
    freshestCrlUris,
    hasCertificateIssuerEntries,
    unknownCriticalExtensions,
    revoked,
  };
}

/** Parse one CRL from DER or PEM (`X509 CRL`). Never throws. */
export function parseCrl(input: Uint8Array | string): ParsedCrl | CrlParseFailure {
  const blobs = derBlobsFromInput(input, ['X509 CRL', 'CRL']);
  if (!blobs.ok) return { reason: 'certificate-malformed', detail: blobs.detail };
  const [der] = blobs.blobs;
  if (der === undefined || blobs.blobs.length !== 1)
    return { reason: 'certificate-malformed', detail: 'expected exactly one CRL' };
  try {
    return decodeCrlStructure(der);
  } catch (error) {
    return { reason: 'certificate-malformed', detail: messageOf(error) };
  }
}

/** Whether a CRL parse result is a failure. */
export function isCrlParseFailure(value: ParsedCrl | CrlParseFailure): value is CrlParseFailure {
  return 'reason' in value;
}

/** The revoked entry for `certificate` in `crl`, if listed (O(1)). */
export function findRevokedEntry(crl: ParsedCrl, certificate: ParsedCertificate): RevokedEntry | undefined {
  return crl.revoked.get(revocationKey(certificate.issuer.normalized, certificate.serialNumber));
}
