/**
 * Generated PKIs for the RFC 5280 §6.1 tests: the policy extensions (certificatePolicies with
 * qualifiers, policyMappings, policyConstraints, inhibitAnyPolicy) encoded with asn1js, CA key
 * rollover (self-issued link certificates between two keys of one CA name), and certificates
 * with DSA keys or signatures (which WebCrypto cannot make: the TBS is re-signed with node:crypto).
 * May import: @peculiar/x509, asn1js, pkijs, node:crypto, dev/pki, ./testCertificates.js.
 */
import 'reflect-metadata';
import { KeyObject, generateKeyPairSync, sign, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { BitString, IA5String, Integer, ObjectIdentifier, Primitive, Sequence, fromBER } from 'asn1js';
import * as pkijs from 'pkijs';
import type { IssuedCertificate } from '../../../dev/pki/issue.js';
import { issueTestCertificate as issue, type TestCertificateOptions } from './testCertificates.js';

/** anyPolicy (RFC 5280 §4.2.1.4). */
export const ANY_POLICY = '2.5.29.32.0';
/** Test policy OIDs (an arc under the documentation-style 2.999 private arc). */
export const P1 = '2.999.1';
export const P2 = '2.999.2';
export const P3 = '2.999.3';
export const P4 = '2.999.4';

const CPS_QUALIFIER = '1.3.6.1.5.5.7.2.1';
const USER_NOTICE_QUALIFIER = '1.3.6.1.5.5.7.2.2';

/** certificatePolicies (2.5.29.32); `qualifiers` adds a CPS URI and a user notice to each policy. */
export function certificatePolicies(
  policies: readonly string[],
  options: { critical?: boolean; qualifiers?: boolean } = {},
): x509.Extension {
  const information = policies.map(
    (policy) =>
      new Sequence({
        value: [
          new ObjectIdentifier({ value: policy }),
          ...(options.qualifiers
            ? [
                new Sequence({
                  value: [
                    new Sequence({
                      value: [
                        new ObjectIdentifier({ value: CPS_QUALIFIER }),
                        new IA5String({ value: 'http://pki.contoso.example/cps' }),
                      ],
                    }),
                    new Sequence({
                      value: [new ObjectIdentifier({ value: USER_NOTICE_QUALIFIER }), new Sequence({ value: [] })],
                    }),
                  ],
                }),
              ]
            : []),
        ],
      }),
  );
  return new x509.Extension('2.5.29.32', options.critical ?? false, new Sequence({ value: information }).toBER());
}

/** policyMappings (2.5.29.33), critical: each pair is issuerDomainPolicy → subjectDomainPolicy. */
export function policyMappings(
  pairs: readonly (readonly [issuerDomainPolicy: string, subjectDomainPolicy: string])[],
): x509.Extension {
  const value = pairs.map(
    ([issuer, subject]) =>
      new Sequence({ value: [new ObjectIdentifier({ value: issuer }), new ObjectIdentifier({ value: subject })] }),
  );
  return new x509.Extension('2.5.29.33', true, new Sequence({ value }).toBER());
}

function skipCertsContent(value: number): ArrayBuffer {
  return new Integer({ value }).valueBlock.valueHexView.slice().buffer;
}

/** policyConstraints (2.5.29.36), critical: requireExplicitPolicy [0] and inhibitPolicyMapping [1] SkipCerts. */
export function policyConstraints(constraints: {
  requireExplicitPolicy?: number;
  inhibitPolicyMapping?: number;
}): x509.Extension {
  const fields: Primitive[] = [];
  if (constraints.requireExplicitPolicy !== undefined)
    fields.push(
      new Primitive({
        idBlock: { tagClass: 3, tagNumber: 0 },
        valueHex: skipCertsContent(constraints.requireExplicitPolicy),
      }),
    );
  if (constraints.inhibitPolicyMapping !== undefined)
    fields.push(
      new Primitive({
        idBlock: { tagClass: 3, tagNumber: 1 },
        valueHex: skipCertsContent(constraints.inhibitPolicyMapping),
      }),
    );
  return new x509.Extension('2.5.29.36', true, new Sequence({ value: fields }).toBER());
}

/** inhibitAnyPolicy (2.5.29.54), critical. */
export function inhibitAnyPolicy(skipCerts: number): x509.Extension {
  return new x509.Extension('2.5.29.54', true, new Integer({ value: skipCerts }).toBER());
}

/** What one CA or leaf of a generated path says about policies. */
export interface PolicySpec {
  readonly policies?: readonly string[];
  readonly mappings?: readonly (readonly [string, string])[];
  readonly requireExplicitPolicy?: number;
  readonly inhibitPolicyMapping?: number;
  readonly inhibitAnyPolicy?: number;
}

/** The extensions a {@link PolicySpec} describes. */
export function policyExtensions(spec: PolicySpec): x509.Extension[] {
  const extensions: x509.Extension[] = [];
  if (spec.policies !== undefined) extensions.push(certificatePolicies(spec.policies));
  if (spec.mappings !== undefined) extensions.push(policyMappings(spec.mappings));
  if (spec.requireExplicitPolicy !== undefined || spec.inhibitPolicyMapping !== undefined) {
    extensions.push(
      policyConstraints({
        ...(spec.requireExplicitPolicy === undefined ? {} : { requireExplicitPolicy: spec.requireExplicitPolicy }),
        ...(spec.inhibitPolicyMapping === undefined ? {} : { inhibitPolicyMapping: spec.inhibitPolicyMapping }),
      }),
    );
  }
  if (spec.inhibitAnyPolicy !== undefined) extensions.push(inhibitAnyPolicy(spec.inhibitAnyPolicy));
  return extensions;
}

/** One CA below the anchor: `selfIssued` re-certifies the CA above it under its own name with a new key. */
export interface CaSpec extends PolicySpec {
  readonly name: string;
  readonly selfIssued?: boolean;
  readonly pathLength?: number;
}

/** A generated path: the anchor, the CAs below it (anchor side first) and the leaf. */
export interface GeneratedPath {
  readonly anchor: IssuedCertificate;
  readonly cas: readonly IssuedCertificate[];
  readonly leaf: IssuedCertificate;
}

/**
 * Issues anchor → CAs → leaf. A `selfIssued` CA has the subject of the CA above it (so it is
 * self-issued, RFC 5280 §6.1) and a fresh key; `name` is then ignored.
 */
export async function generatePath(
  cas: readonly CaSpec[],
  leaf: PolicySpec & { readonly extra?: Partial<TestCertificateOptions> } = {},
  anchorSpec: PolicySpec = {},
): Promise<GeneratedPath> {
  const anchor = await issue({ subject: 'CN=policy test root', ca: {}, extraExtensions: policyExtensions(anchorSpec) });
  const issued: IssuedCertificate[] = [];
  let issuer = anchor;
  for (const ca of cas) {
    const subject = ca.selfIssued ? issuer.cert.parsed.subject : ca.name;
    const next = await issue({
      subject,
      issuer: issuer.credentials,
      ca: ca.pathLength === undefined ? {} : { pathLength: ca.pathLength },
      extraExtensions: policyExtensions(ca),
    });
    issued.push(next);
    issuer = next;
  }
  const end = await issue({
    subject: 'CN=policy test leaf',
    issuer: issuer.credentials,
    extKeyUsage: ['clientAuth'],
    extraExtensions: policyExtensions(leaf),
    ...leaf.extra,
  });
  return { anchor, cas: issued, leaf: end };
}

/** The CA key rollover of RFC 4210 §4.4: OldWithOld, NewWithNew and the two link certificates. */
export interface Rollover {
  readonly oldWithOld: IssuedCertificate;
  readonly newWithNew: IssuedCertificate;
  /** The old public key, signed by the new private key (self-issued). */
  readonly oldWithNew: IssuedCertificate;
  /** The new public key, signed by the old private key (self-issued). */
  readonly newWithOld: IssuedCertificate;
}

/** Issues the four certificates of a rollover of `subject` (self-signed roots when no issuer). */
export async function generateRollover(
  subject: string,
  options: Partial<TestCertificateOptions> = {},
): Promise<Rollover> {
  const oldWithOld = await issue({ subject, ca: {}, ...options });
  const newWithNew = await issue({ subject, ca: {}, ...options });
  const oldWithNew = await issue({
    subject,
    issuer: newWithNew.credentials,
    ca: {},
    keys: oldWithOld.keys,
    ...options,
  });
  const newWithOld = await issue({
    subject,
    issuer: oldWithOld.credentials,
    ca: {},
    keys: newWithNew.keys,
    ...options,
  });
  return { oldWithOld, newWithNew, oldWithNew, newWithOld };
}

/** A DSA key pair (2048-bit p, 256-bit q). */
export function dsaKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 });
}

const DSA_WITH_SHA256 = '2.16.840.1.101.3.4.3.2';
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/**
 * Re-issues `template` with its public key replaced by `subjectKey` (when given) and signed by
 * `signer`: a DSA private key (dsa-with-SHA256) or a WebCrypto ECDSA P-256 key
 * (ecdsa-with-SHA256), labelled `algorithmOid` instead when given.
 */
export async function reissue(
  template: Uint8Array,
  options: { subjectKey?: KeyObject; signer: KeyObject | webcrypto.CryptoKey; algorithmOid?: string },
): Promise<Uint8Array> {
  const certificate = pkijs.Certificate.fromBER(template);
  if (options.subjectKey !== undefined) {
    certificate.subjectPublicKeyInfo = pkijs.PublicKeyInfo.fromBER(
      options.subjectKey.export({ type: 'spki', format: 'der' }),
    );
  }
  const isDsa = options.signer instanceof KeyObject;
  const algorithm = new pkijs.AlgorithmIdentifier({
    algorithmId: options.algorithmOid ?? (isDsa ? DSA_WITH_SHA256 : ECDSA_WITH_SHA256),
  });
  certificate.signature = algorithm;
  certificate.signatureAlgorithm = new pkijs.AlgorithmIdentifier({ algorithmId: algorithm.algorithmId });
  const tbs = certificate.encodeTBS().toBER();
  let signature: ArrayBuffer;
  if (!(options.signer instanceof KeyObject)) {
    // WebCrypto ECDSA signs r||s; X.509 carries the DER Ecdsa-Sig-Value.
    const raw = new Uint8Array(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, options.signer, tbs));
    signature = new x509.AsnEcSignatureFormatter().toAsnSignature({ name: 'ECDSA', hash: 'SHA-256' }, raw)!;
  } else {
    signature = new Uint8Array(sign('sha256', Buffer.from(tbs), options.signer)).buffer;
  }
  certificate.signatureValue = new BitString({ valueHex: signature });
  const der = certificate.toSchema(true).toBER();
  if (fromBER(der).offset === -1) throw new Error('re-issued certificate does not encode');
  return new Uint8Array(der);
}
