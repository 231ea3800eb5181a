/**
 * Name constraints (RFC 5280 §4.2.1.10, §6.1.3 (b)-(c)): whether the names of a certificate (its
 * subject DN, the subject's legacy emailAddress attributes, and every subjectAltName) are within a
 * CA's permitted subtrees and outside its excluded subtrees. Excluded wins. Each CA's constraints
 * are checked separately, which equals intersecting permitted sets along the path.
 * May import: ../x509/*.
 */
import type { ParsedCertificate } from '../x509/certificate.js';
import type { NameConstraints } from '../x509/extensions.js';
import type { GeneralName, GeneralNameKind } from '../x509/generalNames.js';
import { attributeValues, isNameWithinSubtree } from '../x509/names.js';
import { EMAIL_ADDRESS_ATTRIBUTE_OID } from '../x509/oids.js';

/** Outcome of checking one certificate against one CA's name constraints. */
export type NameConstraintCheck = { readonly ok: true } | { readonly ok: false; readonly detail: string };

type Match = 'match' | 'no-match' | 'unsupported';

const SUPPORTED_KINDS = new Set<GeneralNameKind>([
  'dNSName',
  'rfc822Name',
  'uniformResourceIdentifier',
  'iPAddress',
  'directoryName',
]);

function lower(value: string): string {
  return value.toLowerCase();
}

/** dNSName subtree test: the constraint plus zero or more labels on the left; `.x` means strictly below. */
function dnsWithin(name: string, constraint: string): Match {
  const host = lower(name);
  let base = lower(constraint);
  if (base === '') return 'match';
  if (base.startsWith('.')) {
    base = base.slice(1);
    return host.endsWith(`.${base}`) && host.length > base.length + 1 ? 'match' : 'no-match';
  }
  if (host === base) return 'match';
  return host.endsWith(`.${base}`) ? 'match' : 'no-match';
}

function isValidDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = (name.startsWith('*.') ? name.slice(2) : name).split('.');
  return labels.every((label) => /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/u.test(label));
}

function splitMailbox(value: string): { local: string; host: string } | undefined {
  const at = value.lastIndexOf('@');
  if (at <= 0 || at === value.length - 1) return undefined;
  const local = value.slice(0, at);
  const host = value.slice(at + 1);
  if (local.includes('@') && !(local.startsWith('"') && local.endsWith('"'))) return undefined;
  if (!isValidDnsName(host)) return undefined;
  return { local, host };
}

/** rfc822Name subtree test: a mailbox, a host (exact) or `.domain` (any host below). */
function emailWithin(name: string, constraint: string): Match {
  const mailbox = splitMailbox(name);
  if (mailbox === undefined) return 'unsupported';
  if (constraint.includes('@')) {
    const wanted = splitMailbox(constraint);
    if (wanted === undefined) return 'no-match';
    return wanted.local === mailbox.local && lower(wanted.host) === lower(mailbox.host) ? 'match' : 'no-match';
  }
  const host = lower(mailbox.host);
  const base = lower(constraint);
  if (base === '') return 'match';
  if (base.startsWith('.')) return host.endsWith(base) ? 'match' : 'no-match';
  return host === base ? 'match' : 'no-match';
}

function uriHost(uri: string): string | undefined {
  const match = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/u.exec(uri);
  const host = match?.[1];
  if (host === undefined || host === '' || host.startsWith('[')) return undefined;
  return host;
}

/** URI subtree test on the host: exact host, or `.domain` for hosts below it. */
function uriWithin(uri: string, constraint: string): Match {
  const host = uriHost(uri);
  if (host === undefined) return 'unsupported';
  const base = lower(constraint);
  if (base.startsWith('.')) return lower(host).endsWith(base) ? 'match' : 'no-match';
  return lower(host) === base ? 'match' : 'no-match';
}

function ipWithin(address: Uint8Array, constraint: Uint8Array): Match {
  if (constraint.length !== address.length * 2) return 'no-match';
  for (let index = 0; index < address.length; index += 1) {
    const mask = constraint[address.length + index] ?? 0;
    if (((address[index] ?? 0) & mask) !== ((constraint[index] ?? 0) & mask)) return 'no-match';
  }
  return 'match';
}

function validIpMask(constraint: Uint8Array): boolean {
  const mask = constraint.subarray(constraint.length / 2);
  let seenZero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit -= 1) {
      const set = (byte >> bit) & 1;
      if (set && seenZero) return false;
      if (!set) seenZero = true;
    }
  }
  return true;
}

function within(name: GeneralName, base: GeneralName): Match {
  if (name.kind !== base.kind) return 'no-match';
  switch (name.kind) {
    case 'dNSName':
      return base.kind === 'dNSName' ? dnsWithin(name.value, base.value) : 'no-match';
    case 'rfc822Name':
      return base.kind === 'rfc822Name' ? emailWithin(name.value, base.value) : 'no-match';
    case 'uniformResourceIdentifier':
      return base.kind === 'uniformResourceIdentifier' ? uriWithin(name.value, base.value) : 'no-match';
    case 'iPAddress':
      return base.kind === 'iPAddress' ? ipWithin(name.bytes, base.bytes) : 'no-match';
    case 'directoryName':
      return base.kind === 'directoryName' && isNameWithinSubtree(name.name, base.name) ? 'match' : 'no-match';
    default:
      return 'unsupported';
  }
}

/**
 * A wildcard dNSName (`*.example.com`) stands for every name one label below its base, so it
 * hits an excluded subtree when the subtree lies under that base (CVE-2025-61727).
 */
function wildcardReaches(name: GeneralName, base: GeneralName): Match {
  if (name.kind !== 'dNSName' || base.kind !== 'dNSName' || !name.value.startsWith('*.')) return 'no-match';
  const wildcardBase = lower(name.value.slice(2));
  const excluded = lower(base.value);
  const labelsBelow = excluded.endsWith(`.${wildcardBase}`)
    ? excluded.slice(0, -wildcardBase.length - 1).split('.').length
    : 0;
  return labelsBelow === 1 ? 'match' : 'no-match';
}

function describe(name: GeneralName): string {
  switch (name.kind) {
    case 'directoryName':
      return `directoryName ${name.name.text}`;
    case 'iPAddress':
      return `iPAddress ${Array.from(name.bytes).join('.')}`;
    case 'dNSName':
    case 'rfc822Name':
    case 'uniformResourceIdentifier':
      return `${name.kind} ${name.value}`;
    default:
      return name.kind;
  }
}

/** Whether a constraint set itself is well formed (IP masks contiguous, minimum 0, no maximum). */
export function checkConstraintsWellFormed(constraints: NameConstraints): NameConstraintCheck {
  for (const subtree of [...constraints.permitted, ...constraints.excluded]) {
    if (subtree.minimum !== 0 || subtree.maximum !== undefined)
      return { ok: false, detail: 'name constraint with minimum/maximum' };
    if (subtree.base.kind === 'iPAddress' && !validIpMask(subtree.base.bytes))
      return { ok: false, detail: 'name constraint IP mask is not contiguous' };
    // RFC 5280 §4.2.1.10 allows a leading period for URI and rfc822Name constraints only.
    if (subtree.base.kind === 'dNSName' && subtree.base.value.startsWith('.'))
      return { ok: false, detail: 'dNSName constraint with a leading period' };
  }
  return { ok: true };
}

/** The names of a certificate that name constraints apply to. */
export function constrainedNames(certificate: ParsedCertificate): GeneralName[] {
  const names: GeneralName[] = [];
  if (certificate.subject.rdns.length > 0) names.push({ kind: 'directoryName', name: certificate.subject });
  for (const email of attributeValues(certificate.subject, EMAIL_ADDRESS_ATTRIBUTE_OID))
    names.push({ kind: 'rfc822Name', value: email });
  for (const name of certificate.extensions.subjectAltName?.names ?? []) names.push(name);
  return names;
}

/**
 * Upper bound on (names × subtrees) comparisons for one certificate against one CA, so that
 * pathological certificates (thousands of names against thousands of constraints) are refused
 * instead of burning CPU (limbo pathological::nc-dos-*).
 */
export const MAX_NAME_CONSTRAINT_COMPARISONS = 1 << 20;

/** Check every constrained name of `certificate` against one CA's `constraints`. */
export function checkNameConstraints(
  certificate: ParsedCertificate,
  constraints: NameConstraints,
): NameConstraintCheck {
  const names = constrainedNames(certificate);
  const comparisons = names.length * (constraints.permitted.length + constraints.excluded.length);
  if (comparisons > MAX_NAME_CONSTRAINT_COMPARISONS)
    return {
      ok: false,
      detail: `${names.length} names against ${constraints.permitted.length + constraints.excluded.length} constraints exceeds the processing bound`,
    };
  for (const name of names) {
    const permittedOfKind = constraints.permitted.filter((subtree) => subtree.base.kind === name.kind);
    const excludedOfKind = constraints.excluded.filter((subtree) => subtree.base.kind === name.kind);
    if (permittedOfKind.length === 0 && excludedOfKind.length === 0) continue;
    if (!SUPPORTED_KINDS.has(name.kind)) return { ok: false, detail: `${name.kind} is constrained but not supported` };
    if (name.kind === 'dNSName' && !isValidDnsName(name.value))
      return { ok: false, detail: `invalid dNSName ${name.value}` };
    for (const subtree of excludedOfKind) {
      const match = within(name, subtree.base) === 'no-match' ? wildcardReaches(name, subtree.base) : 'match';
      if (match !== 'no-match') return { ok: false, detail: `${describe(name)} is in an excluded subtree` };
    }
    if (permittedOfKind.length > 0) {
      const matches = permittedOfKind.map((subtree) => within(name, subtree.base));
      if (!matches.includes('match')) return { ok: false, detail: `${describe(name)} is not in any permitted subtree` };
    }
  }
  return { ok: true };
}
