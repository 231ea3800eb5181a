/**
 * The `certificate` condition: attributes of the validated client certificate (the CAs on its
 * path, its policy OIDs, subject and SANs). Only a validated certificate counts: without the
 * `valid-client-certificate` tag the device has no certificate here.
 * May import: zod, the condition contract, the field schemas, the globs, the device-tag state.
 */
import { z } from 'zod';
import { defineCondition, defineFact } from '../condition.js';
import { oid, pattern, thumbprint } from '../fieldSchemas.js';
import { compileGlob } from '../glob.js';
import { deviceTagState, type DeviceTagsRequest } from './deviceTags.js';

/** What `certificate` reads: the device tags and the validated certificate's attributes. */
export interface CertificateRequest extends DeviceTagsRequest {
  /** The validated client certificate's attributes; only read when the device has `valid-client-certificate`. */
  readonly certificate?: {
    /** SHA-256 thumbprints (hex, any case, colons allowed) of the CAs on the validated path. */
    readonly issuerThumbprints: readonly string[];
    readonly policyOids: readonly string[];
    readonly subject: string;
    readonly subjectAltNames: readonly string[];
  };
}

interface NormalisedCertificate {
  readonly issuers: ReadonlySet<string>;
  readonly policyOids: ReadonlySet<string>;
  readonly subject: string;
  readonly subjectAltNames: readonly string[];
}

function normaliseThumbprint(value: string): string {
  return value.replaceAll(':', '').toLowerCase();
}

type CertificateFacts = NonNullable<CertificateRequest['certificate']>;

function normalise(certificate: CertificateFacts): NormalisedCertificate {
  return {
    issuers: new Set(certificate.issuerThumbprints.map(normaliseThumbprint)),
    policyOids: new Set(certificate.policyOids),
    subject: certificate.subject.toLowerCase(),
    subjectAltNames: certificate.subjectAltNames.map((name) => name.toLowerCase()),
  };
}

/** Normalised attributes of frozen certificate facts (a cached validation's, shared between requests). */
const normalisedOfFrozen = new WeakMap<CertificateFacts, NormalisedCertificate>();

/** The certificate's attributes, lower-cased (thumbprints without colons); once per frozen certificate facts. */
const normalisedCertificate = defineFact(
  'certificate',
  (request: CertificateRequest): NormalisedCertificate | undefined => {
    const certificate = request.certificate;
    if (certificate === undefined) return undefined;
    if (!Object.isFrozen(certificate)) return normalise(certificate);
    let normalised = normalisedOfFrozen.get(certificate);
    if (normalised === undefined) normalisedOfFrozen.set(certificate, (normalised = normalise(certificate)));
    return normalised;
  },
);

// Loops, not closures: these run per request and policy.
function hasAny(set: ReadonlySet<string>, values: readonly string[]): boolean {
  for (const value of values) if (set.has(value)) return true;
  return false;
}

function anyMatches(pattern: { matches(value: string): boolean }, values: readonly string[]): boolean {
  for (const value of values) if (pattern.matches(value)) return true;
  return false;
}

function firstIn(set: ReadonlySet<string>, values: readonly string[]): string | undefined {
  for (const value of values) if (set.has(value)) return value;
  return undefined;
}

const NO_CERTIFICATE: NormalisedCertificate = {
  issuers: new Set(),
  policyOids: new Set(),
  subject: '',
  subjectAltNames: [],
};

/** The `certificate` condition. */
export const certificate = defineCondition<CertificateRequest>()({
  name: 'certificate',
  schema: z
    .strictObject({
      issuers: z
        .strictObject({
          include: z.array(thumbprint).min(1).max(100).optional(),
          exclude: z.array(thumbprint).min(1).max(100).optional(),
        })
        .refine((issuers) => issuers.include !== undefined || issuers.exclude !== undefined, {
          message: 'issuers needs include or exclude',
          params: { code: 'too-short' },
        })
        .optional(),
      policyOids: z.array(oid).min(1).max(100).optional(),
      subjectPattern: pattern.optional(),
      sanPattern: pattern.optional(),
    })
    .refine(
      (condition) =>
        condition.issuers !== undefined ||
        condition.policyOids !== undefined ||
        condition.subjectPattern !== undefined ||
        condition.sanPattern !== undefined,
      {
        message: 'certificate needs issuers, policyOids, subjectPattern or sanPattern',
        params: { code: 'too-short' },
      },
    ),
  reads: ['deviceTags', 'unknownDeviceTags', 'certificate'],
  compile(condition) {
    const includeIssuers = condition.issuers?.include?.map(normaliseThumbprint);
    const excludeIssuers = condition.issuers?.exclude?.map(normaliseThumbprint) ?? [];
    const policyOids = condition.policyOids;
    const subject = condition.subjectPattern === undefined ? undefined : compileGlob(condition.subjectPattern);
    const san = condition.sanPattern === undefined ? undefined : compileGlob(condition.sanPattern);
    return (facts) => {
      const tag = deviceTagState(facts.request, 'valid-client-certificate');
      if (tag === 'unknown') return { result: 'unknown', detail: 'whether the certificate is valid is unknown' };
      let presented = NO_CERTIFICATE;
      if (tag === 'present') {
        const attributes = facts.get(normalisedCertificate);
        if (!attributes)
          return { result: 'unknown', detail: 'valid certificate tagged but its attributes were not provided' };
        presented = attributes;
      }
      const prefix = tag === 'present' ? 'certificate' : 'no valid certificate';
      if (includeIssuers && !hasAny(presented.issuers, includeIssuers))
        return { result: 'no-match', detail: `${prefix}: not issued by an included CA` };
      const excluded = firstIn(presented.issuers, excludeIssuers);
      if (excluded !== undefined) return { result: 'no-match', detail: `${prefix}: issued by excluded CA ${excluded}` };
      if (policyOids && !hasAny(presented.policyOids, policyOids))
        return { result: 'no-match', detail: `${prefix}: none of the policy OIDs ${policyOids.join(', ')}` };
      if (subject && (tag !== 'present' || !subject.matches(presented.subject)))
        return { result: 'no-match', detail: `${prefix}: subject does not match ${subject.source}` };
      if (san && (tag !== 'present' || !anyMatches(san, presented.subjectAltNames)))
        return { result: 'no-match', detail: `${prefix}: no subject alternative name matches ${san.source}` };
      return { result: 'match', detail: `${prefix}: matches every listed attribute` };
    };
  },
  deviceTags: () => ['valid-client-certificate'],
  example: { issuers: { include: ['720dfe421a83e9eec1d92667f72160219be71fc2229fd0cddaf4c8773a1ed3e0'] } },
  docs: {
    shape:
      '`{ issuers?: { include?, exclude? } (SHA-256 thumbprints), policyOids?: OID[], subjectPattern?: glob, sanPattern?: glob }`',
    matchesWhen:
      'every listed part matches: a CA on the validated path is included / none is excluded; the certificate has any of the policy OIDs; the subject / any SAN matches the glob. Only a **validated** certificate counts (the device has `valid-client-certificate`); without it the certificate has no issuers, OIDs, subject or SANs, so `issuers.exclude` matches and everything else does not.',
  },
});
