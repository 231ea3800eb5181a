/**
 * Distinguished names as text, in the form Entra ID's certificateUserIds values carry them
 * (`DC=com,DC=contoso,OU=UserAccounts,CN=mfatest`: attributes in certificate encoding order, most
 * significant first, comma-separated, Windows attribute names such as `S` for state and `E` for
 * e-mail), and their comparison with a decoded certificate name.
 *
 * Comparison form: each attribute becomes `<type OID>=<value>`, with the value normalised as the
 * validator's RFC 5280 §7.1 comparison does (NFKC, case-folded, trimmed, inner whitespace
 * collapsed; non-string values as `#<DER hex>`); multi-valued RDNs are flattened in encoding
 * order. A text name equals a certificate name when the two lists are equal either in encoding
 * order or fully reversed (RFC 4514 order, as `openssl -nameopt RFC2253` and .NET print it), so an
 * admin may paste either form.
 * May import: ../cert/x509/names.js (types and the normaliser only).
 */
import { normalizeNameString, type DistinguishedName } from '../cert/x509/names.js';

/** Attribute names accepted in text (upper-cased) → type OID. */
const ATTRIBUTE_TYPES: Readonly<Record<string, string>> = {
  CN: '2.5.4.3',
  SN: '2.5.4.4',
  SURNAME: '2.5.4.4',
  SERIALNUMBER: '2.5.4.5',
  C: '2.5.4.6',
  L: '2.5.4.7',
  S: '2.5.4.8',
  ST: '2.5.4.8',
  STREET: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  T: '2.5.4.12',
  TITLE: '2.5.4.12',
  G: '2.5.4.42',
  GN: '2.5.4.42',
  GIVENNAME: '2.5.4.42',
  I: '2.5.4.43',
  INITIALS: '2.5.4.43',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  E: '1.2.840.113549.1.9.1',
  EMAIL: '1.2.840.113549.1.9.1',
  EMAILADDRESS: '1.2.840.113549.1.9.1',
};

/** Type OID → the name Windows (and so Entra's tooling) prints. */
const WINDOWS_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'SERIALNUMBER',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'S',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'T',
  '2.5.4.42': 'G',
  '2.5.4.43': 'I',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'E',
};

/** One attribute of a name in comparison form. */
export interface ComparableNameAttribute {
  readonly type: string;
  /** Normalised value, or `#<hex>` of the DER value for non-string attributes. */
  readonly comparable: string;
}

/** Outcome of {@link parseDistinguishedNameText}. */
export type DistinguishedNameTextResult =
  | { readonly ok: true; readonly attributes: readonly ComparableNameAttribute[] }
  | { readonly ok: false; readonly detail: string };

const DOTTED_OID = /^(?:OID\.)?([0-2](?:\.(?:0|[1-9][0-9]*))+)$/iu;
const SEPARATORS = new Set([',', ';', '+']);

function attributeType(name: string): string | undefined {
  const upper = name.trim().toUpperCase();
  return ATTRIBUTE_TYPES[upper] ?? DOTTED_OID.exec(name.trim())?.[1];
}

/** Read one value starting at `start`; returns the raw value and the index of the separator (or end). */
function readValue(text: string, start: number): { value: string; hexForm: boolean; end: number } | string {
  let index = start;
  while (text[index] === ' ') index += 1;
  if (text[index] === '"') {
    let value = '';
    index += 1;
    for (;;) {
      const char = text[index];
      if (char === undefined) return 'unterminated quoted value';
      if (char === '"' && text[index + 1] === '"') {
        value += '"';
        index += 2;
      } else if (char === '"') {
        index += 1;
        break;
      } else if (char === '\\' && text[index + 1] !== undefined) {
        value += text[index + 1] ?? '';
        index += 2;
      } else {
        value += char;
        index += 1;
      }
    }
    while (text[index] === ' ') index += 1;
    if (index < text.length && !SEPARATORS.has(text[index] ?? '')) return 'text after a quoted value';
    return { value, hexForm: false, end: index };
  }
  const hexForm = text[index] === '#';
  const bytes: number[] = [];
  let value = '';
  const flushBytes = (): string | undefined => {
    if (bytes.length === 0) return undefined;
    try {
      value += new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    } catch {
      return 'escaped bytes are not UTF-8';
    }
    bytes.length = 0;
    return undefined;
  };
  let trailingSpaces = 0;
  while (index < text.length && !SEPARATORS.has(text[index] ?? '')) {
    const char = text[index] ?? '';
    if (char === '\\') {
      const pair = text.slice(index + 1, index + 3);
      if (/^[0-9a-f]{2}$/iu.test(pair)) {
        bytes.push(Number.parseInt(pair, 16));
        index += 3;
        trailingSpaces = 0;
        continue;
      }
      const escaped = text[index + 1];
      if (escaped === undefined) return 'dangling escape';
      const problem = flushBytes();
      if (problem !== undefined) return problem;
      value += escaped;
      index += 2;
      trailingSpaces = 0;
      continue;
    }
    const problem = flushBytes();
    if (problem !== undefined) return problem;
    value += char;
    trailingSpaces = char === ' ' ? trailingSpaces + 1 : 0;
    index += 1;
  }
  const problem = flushBytes();
  if (problem !== undefined) return problem;
  return { value: value.slice(0, value.length - trailingSpaces), hexForm, end: index };
}

/**
 * Parse a distinguished name written as text (Entra / Windows form, RFC 4514 escapes and
 * CryptoAPI-style double quotes both accepted) into comparison form.
 */
export function parseDistinguishedNameText(text: string): DistinguishedNameTextResult {
  const attributes: ComparableNameAttribute[] = [];
  let index = 0;
  if (text.trim() === '') return { ok: false, detail: 'empty name' };
  while (index < text.length) {
    const equals = text.indexOf('=', index);
    if (equals < 0) return { ok: false, detail: `no "=" after position ${index}` };
    const name = text.slice(index, equals);
    const type = attributeType(name);
    if (type === undefined) return { ok: false, detail: `unknown attribute name "${name.trim()}"` };
    const value = readValue(text, equals + 1);
    if (typeof value === 'string') return { ok: false, detail: value };
    const comparable = value.hexForm ? value.value.toLowerCase() : normalizeNameString(value.value);
    attributes.push({ type, comparable });
    index = value.end;
    if (index < text.length) {
      index += 1;
      if (index >= text.length) return { ok: false, detail: 'trailing separator' };
    }
  }
  return { ok: true, attributes };
}

/** The certificate name's attributes in comparison form, flattened in encoding order. */
export function comparableAttributes(name: DistinguishedName): ComparableNameAttribute[] {
  return name.rdns.flatMap((rdn) =>
    rdn.map((attribute) => ({ type: attribute.type, comparable: attribute.comparable })),
  );
}

function sameSequence(left: readonly ComparableNameAttribute[], right: readonly ComparableNameAttribute[]): boolean {
  return (
    left.length === right.length &&
    left.every(
      (attribute, index) => attribute.type === right[index]?.type && attribute.comparable === right[index].comparable,
    )
  );
}

/** Whether a parsed text name denotes the certificate name (encoding order or reversed; see the module header). */
export function distinguishedNameMatches(name: DistinguishedName, text: readonly ComparableNameAttribute[]): boolean {
  const certificate = comparableAttributes(name);
  return sameSequence(certificate, text) || sameSequence([...certificate].reverse(), text);
}

function quoteForWindows(value: string): string {
  return /[,+="\n<>#;]|^ | $/u.test(value) ? `"${value.replace(/"/gu, '""')}"` : value;
}

/**
 * The name as Entra's tooling writes it into certificateUserIds: encoding order, `,` between
 * attributes (multi-valued RDNs flattened), Windows attribute names, `OID.<dotted>` for others,
 * values quoted CryptoAPI-style when they hold separators.
 */
export function formatEntraDistinguishedName(name: DistinguishedName): string {
  return name.rdns
    .flatMap((rdn) =>
      rdn.map(
        (attribute) =>
          `${WINDOWS_NAMES[attribute.type] ?? `OID.${attribute.type}`}=${attribute.value === undefined ? attribute.comparable : quoteForWindows(attribute.value)}`,
      ),
    )
    .join(',');
}
