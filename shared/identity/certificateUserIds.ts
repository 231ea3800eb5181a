/**
 * Entra ID `certificateUserIds` values: parsing what an admin stored on a user, and computing the
 * values that identify a given certificate (what Entra PowerShell's
 * Get-EntraUserCertificateUserIdsFromCertificate prints). Formats, prefixes case-sensitive:
 *   X509:<PN>{UPN SAN}                          X509:<RFC822>{e-mail SAN}
 *   X509:<I>{issuer DN}<S>{subject DN}          X509:<S>{subject DN}
 *   X509:<SKI>{subjectKeyIdentifier, hex}       X509:<SHA1-PUKEY>{SHA-1 of the whole certificate DER, hex}
 *   X509:<I>{issuer DN}<SR>{serial number, hex, in the byte order of the certificate}
 * DNs are in Entra's text form (see ./distinguishedNameText.ts). Hex is case-insensitive; spaces
 * and colons (as certutil prints) are ignored. `SHA1-PUKEY` is, despite its name, the certificate
 * thumbprint: Microsoft's tooling computes it with X509Certificate.GetCertHashString(). The serial
 * is the big-endian value certutil shows (Entra's documented source for it); Active Directory's
 * altSecurityIdentities stores it byte-reversed (KB5014754), which the binding accepts on request.
 * May import: node:crypto, ../cert/x509/*, ./distinguishedNameText.js.
 */
import { createHash } from 'node:crypto';
import type { ParsedCertificate } from '../cert/x509/index.js';
import {
  formatEntraDistinguishedName,
  parseDistinguishedNameText,
  type ComparableNameAttribute,
} from './distinguishedNameText.js';

/** The username binding rules of Entra certificate-based authentication (the certificate field each reads). */
export const BINDING_RULE_KINDS = [
  'PrincipalName',
  'RFC822Name',
  'IssuerAndSubject',
  'Subject',
  'SKI',
  'SHA1PublicKey',
  'IssuerAndSerialNumber',
] as const;

/** A username binding rule kind. */
export type BindingRuleKind = (typeof BINDING_RULE_KINDS)[number];

/** A parsed certificateUserIds value. */
export type CertificateUserId =
  | { readonly kind: 'PrincipalName'; readonly value: string }
  | { readonly kind: 'RFC822Name'; readonly value: string }
  | {
      readonly kind: 'IssuerAndSubject';
      readonly issuer: readonly ComparableNameAttribute[];
      readonly subject: readonly ComparableNameAttribute[];
    }
  | { readonly kind: 'Subject'; readonly subject: readonly ComparableNameAttribute[] }
  | { readonly kind: 'SKI'; readonly hex: string }
  | { readonly kind: 'SHA1PublicKey'; readonly hex: string }
  | {
      readonly kind: 'IssuerAndSerialNumber';
      readonly issuer: readonly ComparableNameAttribute[];
      readonly serialHex: string;
    };

/** Outcome of {@link parseCertificateUserId}. */
export type CertificateUserIdResult =
  { readonly ok: true; readonly id: CertificateUserId } | { readonly ok: false; readonly detail: string };

const PREFIX = 'X509:';

/** Lower-case hex without separators, or undefined when the text is not whole bytes of hex. */
export function normalizeHex(text: string): string | undefined {
  const compact = text.replace(/[\s:]/gu, '').toLowerCase();
  return compact !== '' && compact.length % 2 === 0 && /^[0-9a-f]+$/u.test(compact) ? compact : undefined;
}

function parseName(text: string, what: string): readonly ComparableNameAttribute[] | string {
  const parsed = parseDistinguishedNameText(text);
  return parsed.ok ? parsed.attributes : `${what}: ${parsed.detail}`;
}

function hexId(kind: 'SKI' | 'SHA1PublicKey', text: string): CertificateUserIdResult {
  const hex = normalizeHex(text);
  return hex === undefined
    ? { ok: false, detail: `${kind} value is not hexadecimal bytes` }
    : { ok: true, id: { kind, hex } };
}

/** Index of the first "<" that is neither backslash-escaped nor inside a quoted value, or -1. */
function firstUnescapedAngle(text: string): number {
  let quoted = false;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\') index += 1;
    else if (char === '"') quoted = !quoted;
    else if (char === '<' && !quoted) return index;
  }
  return -1;
}

/** Parse one certificateUserIds value. Unknown or malformed values fail with a detail (they never match). */
export function parseCertificateUserId(raw: string): CertificateUserIdResult {
  if (!raw.startsWith(`${PREFIX}<`)) return { ok: false, detail: 'not an X509:<…> value' };
  const close = raw.indexOf('>', PREFIX.length);
  if (close < 0) return { ok: false, detail: 'unterminated mapping tag' };
  const tag = raw.slice(PREFIX.length + 1, close);
  const rest = raw.slice(close + 1);
  switch (tag) {
    case 'PN':
      return rest === ''
        ? { ok: false, detail: 'empty principal name' }
        : { ok: true, id: { kind: 'PrincipalName', value: rest } };
    case 'RFC822':
      return rest === ''
        ? { ok: false, detail: 'empty e-mail address' }
        : { ok: true, id: { kind: 'RFC822Name', value: rest } };
    case 'S': {
      const subject = parseName(rest, 'subject');
      return typeof subject === 'string'
        ? { ok: false, detail: subject }
        : { ok: true, id: { kind: 'Subject', subject } };
    }
    case 'SKI':
      return hexId('SKI', rest);
    case 'SHA1-PUKEY':
      return hexId('SHA1PublicKey', rest);
    case 'I': {
      // The issuer ends at the first unescaped "<", which must open <S> or <SR>.
      const tagAt = firstUnescapedAngle(rest);
      if (tagAt < 0) return { ok: false, detail: 'X509:<I> without <S> or <SR>' };
      const issuer = parseName(rest.slice(0, tagAt), 'issuer');
      if (typeof issuer === 'string') return { ok: false, detail: issuer };
      if (rest.startsWith('<SR>', tagAt)) {
        const serialHex = normalizeHex(rest.slice(tagAt + 4));
        if (serialHex === undefined) return { ok: false, detail: 'serial number is not hexadecimal bytes' };
        return { ok: true, id: { kind: 'IssuerAndSerialNumber', issuer, serialHex } };
      }
      if (rest.startsWith('<S>', tagAt)) {
        const subject = parseName(rest.slice(tagAt + 3), 'subject');
        if (typeof subject === 'string') return { ok: false, detail: subject };
        return { ok: true, id: { kind: 'IssuerAndSubject', issuer, subject } };
      }
      return { ok: false, detail: 'X509:<I> followed by a tag other than <S> or <SR>' };
    }
    default:
      return { ok: false, detail: `unknown mapping tag <${tag}>` };
  }
}

/** SHA-1 of the certificate DER, lower-case hex: the `SHA1-PUKEY` value (the certificate thumbprint). */
export function certificateSha1Thumbprint(certificate: ParsedCertificate): string {
  return createHash('sha1').update(certificate.der).digest('hex');
}

/** The UPN otherName values of the subjectAltName, in order. */
export function principalNamesOf(certificate: ParsedCertificate): string[] {
  return (certificate.extensions.subjectAltName?.names ?? []).flatMap((name) =>
    name.kind === 'otherName' && name.upn !== undefined ? [name.upn] : [],
  );
}

/** The rfc822Name values of the subjectAltName, in order. */
export function rfc822NamesOf(certificate: ParsedCertificate): string[] {
  return (certificate.extensions.subjectAltName?.names ?? []).flatMap((name) =>
    name.kind === 'rfc822Name' ? [name.value] : [],
  );
}

/**
 * The certificateUserIds values that identify this certificate, per binding rule (absent when the
 * certificate lacks the field: no UPN / e-mail SAN, no SKI, empty subject). PrincipalName and
 * RFC822Name use the first SAN of their kind. Hex is upper-case, as Microsoft's tooling prints it.
 */
export function certificateUserIdsFor(certificate: ParsedCertificate): Partial<Record<BindingRuleKind, string>> {
  const ids: Partial<Record<BindingRuleKind, string>> = {};
  const [principalName] = principalNamesOf(certificate);
  const [email] = rfc822NamesOf(certificate);
  const issuer = formatEntraDistinguishedName(certificate.issuer);
  const subject = formatEntraDistinguishedName(certificate.subject);
  if (principalName !== undefined) ids.PrincipalName = `X509:<PN>${principalName}`;
  if (email !== undefined) ids.RFC822Name = `X509:<RFC822>${email}`;
  if (subject !== '') {
    ids.IssuerAndSubject = `X509:<I>${issuer}<S>${subject}`;
    ids.Subject = `X509:<S>${subject}`;
  }
  const ski = certificate.extensions.subjectKeyIdentifier?.keyIdentifier;
  if (ski !== undefined && ski !== '') ids.SKI = `X509:<SKI>${ski.toUpperCase()}`;
  ids.SHA1PublicKey = `X509:<SHA1-PUKEY>${certificateSha1Thumbprint(certificate).toUpperCase()}`;
  ids.IssuerAndSerialNumber = `X509:<I>${issuer}<SR>${certificate.serialNumber}`;
  return ids;
}
