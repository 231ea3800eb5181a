/**
 * Binding a (validated) client certificate to the signed-in user, as Entra certificate-based
 * authentication's username binding policy does: an ordered list of rules, each reading one
 * certificate field and comparing it with user attributes; the first rule that matches binds.
 * A certificate issued to Alice and presented by Bob does not bind to Bob.
 *
 *   rule                   certificate field            user attribute                                affinity
 *   PrincipalName          SAN otherName UPN            upn, onPremisesUserPrincipalName, X509:<PN>    low
 *   RFC822Name             SAN rfc822Name               upn, onPremisesUserPrincipalName, mail, X509:<RFC822>  low
 *   IssuerAndSubject       issuer + subject DN          X509:<I>…<S>…                                 low
 *   Subject                subject DN                   X509:<S>…                                     low
 *   SKI                    subjectKeyIdentifier         X509:<SKI>…                                   high
 *   SHA1PublicKey          SHA-1 of the certificate     X509:<SHA1-PUKEY>…                            high
 *   IssuerAndSerialNumber  issuer DN + serial number    X509:<I>…<SR>…                                high
 *
 * UPNs and e-mail addresses compare case-insensitively and otherwise exactly; DNs compare in the
 * normalised form of ./distinguishedNameText.ts; hex compares case-insensitively; serial numbers
 * compare as integers (leading zero bytes ignored). When `requireHighAffinity` is set, low-affinity
 * rules are skipped (Entra's "required affinity binding"). A rule whose certificate field names
 * several different principals (two distinct UPN SANs, say) is `ambiguous` and never binds.
 * Pure: no I/O, no clock.
 * May import: ../cert/x509/* (types), ./certificateUserIds.js, ./distinguishedNameText.js, ./reasons.js.
 */
import type { ParsedCertificate } from '../cert/x509/index.js';
import {
  certificateSha1Thumbprint,
  normalizeHex,
  parseCertificateUserId,
  principalNamesOf,
  rfc822NamesOf,
  type BindingRuleKind,
  type CertificateUserId,
} from './certificateUserIds.js';
import { distinguishedNameMatches } from './distinguishedNameText.js';
import type { CertificateBindingReason } from './reasons.js';

export type { BindingRuleKind } from './certificateUserIds.js';

/** How strongly a rule ties a certificate to one user: `high` for identifiers that cannot be reused. */
export type BindingAffinity = 'low' | 'high';

/** Entra's affinity for each rule. */
export const DEFAULT_BINDING_AFFINITY: Readonly<Record<BindingRuleKind, BindingAffinity>> = {
  PrincipalName: 'low',
  RFC822Name: 'low',
  IssuerAndSubject: 'low',
  Subject: 'low',
  SKI: 'high',
  SHA1PublicKey: 'high',
  IssuerAndSerialNumber: 'high',
};

/** One username binding rule; `affinity` overrides the default (Entra's `trustAffinityLevel`). */
export interface BindingRule {
  readonly kind: BindingRuleKind;
  readonly affinity?: BindingAffinity;
}

/** The bindings Entra's CBA policy lists out of the box, in its priority order. */
export const DEFAULT_BINDING_RULES: readonly BindingRule[] = [
  { kind: 'PrincipalName' },
  { kind: 'RFC822Name' },
  { kind: 'SKI' },
  { kind: 'SHA1PublicKey' },
];

/** The user attributes the rules read (Microsoft Graph user properties of the same names). */
export interface BindingUser {
  readonly upn?: string;
  readonly onPremisesUserPrincipalName?: string;
  readonly mail?: string;
  readonly certificateUserIds?: readonly string[];
}

/** Options of {@link bindCertificateToUser}. */
export interface BindingOptions {
  /** Skip low-affinity rules. */
  readonly requireHighAffinity?: boolean;
  /**
   * Byte order of `<SR>` serial numbers in certificateUserIds: `certificate` (default: as certutil
   * shows it and Entra documents), `reversed` (Active Directory altSecurityIdentities, KB5014754,
   * synchronised unchanged), or `either`.
   */
  readonly serialNumberByteOrder?: 'certificate' | 'reversed' | 'either';
}

/** What one rule concluded. */
export type BindingRuleOutcome =
  'matched' | 'no-match' | 'certificate-field-absent' | 'user-attribute-absent' | 'ambiguous' | 'skipped-low-affinity';

/** One rule's evaluation, for the trace. */
export interface BindingAttempt {
  readonly rule: BindingRuleKind;
  readonly affinity: BindingAffinity;
  readonly result: BindingRuleOutcome;
  readonly detail: string;
}

/** A certificateUserIds value that could not be parsed (it never matches). */
export interface IgnoredCertificateUserId {
  readonly value: string;
  readonly detail: string;
}

/** Outcome of {@link bindCertificateToUser}. */
export type CertificateBindingResult =
  | {
      readonly bound: true;
      readonly reason: Extract<CertificateBindingReason, 'certificate-bound-to-user'>;
      readonly rule: BindingRuleKind;
      readonly affinity: BindingAffinity;
      readonly detail: string;
      readonly tried: readonly BindingAttempt[];
      readonly ignoredCertificateUserIds: readonly IgnoredCertificateUserId[];
    }
  | {
      readonly bound: false;
      readonly reason: Exclude<CertificateBindingReason, 'certificate-bound-to-user'>;
      readonly tried: readonly BindingAttempt[];
      readonly ignoredCertificateUserIds: readonly IgnoredCertificateUserId[];
    };

type RuleVerdict = { readonly result: Exclude<BindingRuleOutcome, 'skipped-low-affinity'>; readonly detail: string };

interface BindingContext {
  readonly certificate: ParsedCertificate;
  readonly user: BindingUser;
  readonly ids: readonly CertificateUserId[];
  readonly serialNumberByteOrder: 'certificate' | 'reversed' | 'either';
}

function idsOfKind<K extends CertificateUserId['kind']>(
  ids: readonly CertificateUserId[],
  kind: K,
): Extract<CertificateUserId, { kind: K }>[] {
  return ids.filter((id): id is Extract<CertificateUserId, { kind: K }> => id.kind === kind);
}

function distinctCaseInsensitive(values: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const value of values) if (!seen.has(value.toLowerCase())) seen.set(value.toLowerCase(), value);
  return [...seen.values()];
}

/** PrincipalName and RFC822Name: one SAN value compared with named user attributes. */
function compareSanWithUser(
  field: string,
  sanValues: readonly string[],
  candidates: readonly { readonly attribute: string; readonly value: string | undefined }[],
): RuleVerdict {
  const distinct = distinctCaseInsensitive(sanValues);
  const [sanValue] = distinct;
  if (sanValue === undefined)
    return { result: 'certificate-field-absent', detail: `the certificate has no ${field} SAN` };
  if (distinct.length > 1)
    return {
      result: 'ambiguous',
      detail: `the certificate names ${distinct.length} different ${field} SANs (${distinct.join(', ')})`,
    };
  const present = candidates.filter(
    (candidate): candidate is { attribute: string; value: string } =>
      candidate.value !== undefined && candidate.value !== '',
  );
  if (present.length === 0)
    return {
      result: 'user-attribute-absent',
      detail: `the user has none of ${candidates.map((candidate) => candidate.attribute).join(', ')}`,
    };
  const match = present.find((candidate) => candidate.value.toLowerCase() === sanValue.toLowerCase());
  if (match !== undefined)
    return { result: 'matched', detail: `${field} SAN ${sanValue} equals the user's ${match.attribute}` };
  return {
    result: 'no-match',
    detail: `${field} SAN ${sanValue} matches none of the user's ${present.map((candidate) => candidate.attribute).join(', ')}`,
  };
}

function serialInteger(hex: string): string {
  return hex.replace(/^(?:00)+(?=..)/u, '');
}

function reverseBytes(hex: string): string {
  return (hex.match(/../gu) ?? []).reverse().join('');
}

function serialMatches(
  certificateSerial: string,
  stored: string,
  order: BindingContext['serialNumberByteOrder'],
): boolean {
  const wanted = serialInteger(certificateSerial.toLowerCase());
  const asIs = serialInteger(stored) === wanted;
  const reversed = serialInteger(reverseBytes(stored)) === wanted;
  if (order === 'certificate') return asIs;
  if (order === 'reversed') return reversed;
  return asIs || reversed;
}

function noUserValue(tag: string): RuleVerdict {
  return { result: 'user-attribute-absent', detail: `the user has no certificateUserIds value of the form ${tag}` };
}

function evaluateRule(kind: BindingRuleKind, context: BindingContext): RuleVerdict {
  const { certificate, user, ids } = context;
  switch (kind) {
    case 'PrincipalName':
      return compareSanWithUser('UPN', principalNamesOf(certificate), [
        { attribute: 'userPrincipalName', value: user.upn },
        { attribute: 'onPremisesUserPrincipalName', value: user.onPremisesUserPrincipalName },
        ...idsOfKind(ids, 'PrincipalName').map((id) => ({
          attribute: 'certificateUserIds X509:<PN>',
          value: id.value,
        })),
      ]);
    case 'RFC822Name':
      return compareSanWithUser('e-mail (rfc822Name)', rfc822NamesOf(certificate), [
        { attribute: 'userPrincipalName', value: user.upn },
        { attribute: 'onPremisesUserPrincipalName', value: user.onPremisesUserPrincipalName },
        { attribute: 'mail', value: user.mail },
        ...idsOfKind(ids, 'RFC822Name').map((id) => ({
          attribute: 'certificateUserIds X509:<RFC822>',
          value: id.value,
        })),
      ]);
    case 'Subject': {
      if (certificate.subject.rdns.length === 0)
        return { result: 'certificate-field-absent', detail: 'the certificate subject is empty' };
      const stored = idsOfKind(ids, 'Subject');
      if (stored.length === 0) return noUserValue('X509:<S>…');
      return stored.some((id) => distinguishedNameMatches(certificate.subject, id.subject))
        ? {
            result: 'matched',
            detail: `subject "${certificate.subject.text}" equals a certificateUserIds X509:<S> value`,
          }
        : {
            result: 'no-match',
            detail: `subject "${certificate.subject.text}" matches none of the user's X509:<S> values`,
          };
    }
    case 'IssuerAndSubject': {
      if (certificate.subject.rdns.length === 0)
        return { result: 'certificate-field-absent', detail: 'the certificate subject is empty' };
      const stored = idsOfKind(ids, 'IssuerAndSubject');
      if (stored.length === 0) return noUserValue('X509:<I>…<S>…');
      return stored.some(
        (id) =>
          distinguishedNameMatches(certificate.issuer, id.issuer) &&
          distinguishedNameMatches(certificate.subject, id.subject),
      )
        ? {
            result: 'matched',
            detail: `issuer "${certificate.issuer.text}" and subject "${certificate.subject.text}" equal a certificateUserIds X509:<I><S> value`,
          }
        : {
            result: 'no-match',
            detail: `issuer "${certificate.issuer.text}" + subject "${certificate.subject.text}" match none of the user's X509:<I><S> values`,
          };
    }
    case 'SKI': {
      const ski = normalizeHex(certificate.extensions.subjectKeyIdentifier?.keyIdentifier ?? '');
      if (ski === undefined)
        return { result: 'certificate-field-absent', detail: 'the certificate has no subjectKeyIdentifier' };
      const stored = idsOfKind(ids, 'SKI');
      if (stored.length === 0) return noUserValue('X509:<SKI>…');
      return stored.some((id) => id.hex === ski)
        ? { result: 'matched', detail: `subjectKeyIdentifier ${ski} equals a certificateUserIds X509:<SKI> value` }
        : { result: 'no-match', detail: `subjectKeyIdentifier ${ski} matches none of the user's X509:<SKI> values` };
    }
    case 'SHA1PublicKey': {
      const thumbprint = certificateSha1Thumbprint(certificate);
      const stored = idsOfKind(ids, 'SHA1PublicKey');
      if (stored.length === 0) return noUserValue('X509:<SHA1-PUKEY>…');
      return stored.some((id) => id.hex === thumbprint)
        ? {
            result: 'matched',
            detail: `SHA-1 thumbprint ${thumbprint} equals a certificateUserIds X509:<SHA1-PUKEY> value`,
          }
        : {
            result: 'no-match',
            detail: `SHA-1 thumbprint ${thumbprint} matches none of the user's X509:<SHA1-PUKEY> values`,
          };
    }
    case 'IssuerAndSerialNumber': {
      const stored = idsOfKind(ids, 'IssuerAndSerialNumber');
      if (stored.length === 0) return noUserValue('X509:<I>…<SR>…');
      return stored.some(
        (id) =>
          distinguishedNameMatches(certificate.issuer, id.issuer) &&
          serialMatches(certificate.serialNumber, id.serialHex, context.serialNumberByteOrder),
      )
        ? {
            result: 'matched',
            detail: `issuer "${certificate.issuer.text}" and serial ${certificate.serialNumber} equal a certificateUserIds X509:<I><SR> value`,
          }
        : {
            result: 'no-match',
            detail: `issuer "${certificate.issuer.text}" + serial ${certificate.serialNumber} match none of the user's X509:<I><SR> values (byte order: ${context.serialNumberByteOrder})`,
          };
    }
  }
}

/**
 * Bind a certificate to a user by the ordered rules: the first rule that matches decides
 * (`bound: true` with the rule and its affinity). Otherwise `certificate-binding-ambiguous` when
 * some rule could not decide because the certificate names several principals, else
 * `certificate-not-bound-to-user`. `tried` lists every rule evaluated, in order.
 */
export function bindCertificateToUser(
  certificate: ParsedCertificate,
  user: BindingUser,
  rules: readonly BindingRule[],
  options: BindingOptions = {},
): CertificateBindingResult {
  const ids: CertificateUserId[] = [];
  const ignoredCertificateUserIds: IgnoredCertificateUserId[] = [];
  for (const value of user.certificateUserIds ?? []) {
    const parsed = parseCertificateUserId(value);
    if (parsed.ok) ids.push(parsed.id);
    else ignoredCertificateUserIds.push({ value, detail: parsed.detail });
  }
  const context: BindingContext = {
    certificate,
    user,
    ids,
    serialNumberByteOrder: options.serialNumberByteOrder ?? 'certificate',
  };
  const tried: BindingAttempt[] = [];
  for (const rule of rules) {
    const affinity = rule.affinity ?? DEFAULT_BINDING_AFFINITY[rule.kind];
    if (options.requireHighAffinity === true && affinity === 'low') {
      tried.push({
        rule: rule.kind,
        affinity,
        result: 'skipped-low-affinity',
        detail: 'high affinity is required and this rule is low affinity',
      });
      continue;
    }
    const verdict = evaluateRule(rule.kind, context);
    tried.push({ rule: rule.kind, affinity, ...verdict });
    if (verdict.result === 'matched') {
      return {
        bound: true,
        reason: 'certificate-bound-to-user',
        rule: rule.kind,
        affinity,
        detail: verdict.detail,
        tried,
        ignoredCertificateUserIds,
      };
    }
  }
  const ambiguous = tried.some((attempt) => attempt.result === 'ambiguous');
  return {
    bound: false,
    reason: ambiguous ? 'certificate-binding-ambiguous' : 'certificate-not-bound-to-user',
    tried,
    ignoredCertificateUserIds,
  };
}
