/**
 * Reads what the session controls need from HTTP header values, defensively: media types
 * (casing, parameters, several values joined with commas), Content-Disposition (RFC 6266: type in
 * any casing, quoted or unquoted parameters, `filename*` in RFC 8187 form, folded whitespace,
 * several values), the last path segment of a URL (percent-decoded until stable, matrix
 * parameters and trailing dots dropped), file name extensions, and a response's whole size
 * (Content-Length, or the total of a 206's Content-Range; unknown when chunked). Every reader
 * fails towards "this is a file": an unparseable Content-Disposition counts as an attachment.
 * Never throws. Pure: no I/O, no clock.
 * May import: nothing.
 */

/** Reads header values (a WHATWG Headers object, or anything with `get`). */
export interface HeaderValues {
  get(name: string): string | null;
}

const WHITESPACE = /[\s]+/g;

/** Splits a header value at commas outside double quotes. */
function splitOutsideQuotes(value: string, separator: string): string[] {
  // Most values have no quotes: a plain split (the loop below costs ~1 µs per value).
  if (!value.includes('"')) return value.split(separator);
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < value.length; index++) {
    const char = value[index] ?? '';
    if (char === '\\' && quoted) {
      current += char + (value[index + 1] ?? '');
      index++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

/** The media types (essence: `type/subtype`, lower-case) of a Content-Type value; several when values were joined. */
export function mediaTypesOf(value: string | null): string[] {
  if (value === null) return [];
  const types: string[] = [];
  for (const part of splitOutsideQuotes(value, ',')) {
    const essence = (part.split(';')[0] ?? '').replace(WHITESPACE, '').toLowerCase();
    if (essence !== '') types.push(essence);
  }
  return types;
}

/** A parameter of a header value (`boundary`, `filename`), case-insensitive name, unquoted; undefined when absent. */
export function parameterOf(value: string, name: string): string | undefined {
  const segments = splitOutsideQuotes(value, ';').slice(1);
  for (const segment of segments) {
    const equals = segment.indexOf('=');
    if (equals < 0) continue;
    if (segment.slice(0, equals).replace(WHITESPACE, '').toLowerCase() !== name) continue;
    return unquote(segment.slice(equals + 1).trim());
  }
  return undefined;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  return value;
}

/** Percent-decodes until stable (at most three rounds: `%252E` → `%2E` → `.`); malformed escapes stay as they are. */
export function decodeRepeatedly(value: string): string {
  let current = value;
  for (let round = 0; round < 3 && current.includes('%'); round++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      next = current.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    }
    if (next === current) break;
    current = next;
  }
  return current;
}

/** What a Content-Disposition value says. */
export interface DispositionFacts {
  /** Some disposition type other than `inline` (unknown types count as attachment, RFC 6266 §4.2). */
  readonly attachment: boolean;
  /** Every file name it carries (`filename` and `filename*`, decoded). */
  readonly fileNames: readonly string[];
}

const NO_DISPOSITION: DispositionFacts = Object.freeze({ attachment: false, fileNames: Object.freeze([]) });
const DISPOSITION_TYPE = /^[a-z][a-z0-9-]*$/i;

/** An RFC 8187 ext-value (`UTF-8'en'q3%2Exlsx`): the decoded text, whatever the charset claims. */
function extValue(value: string): string {
  const match = /^[^']*'[^']*'(.*)$/s.exec(value);
  return decodeRepeatedly(match ? (match[1] ?? '') : value);
}

/**
 * Reads a Content-Disposition value. Several dispositions (values joined with commas) count as an
 * attachment when any of them is one; a value that has parameters but no type, or an empty type,
 * counts as an attachment (fail towards blocking).
 */
export function dispositionOf(value: string | null): DispositionFacts {
  if (value === null || value.trim() === '') return NO_DISPOSITION;
  let attachment = false;
  const fileNames: string[] = [];
  const dispositions = splitOutsideQuotes(value, ',');
  for (const [index, disposition] of dispositions.entries()) {
    const [typePart = '', ...params] = splitOutsideQuotes(disposition, ';');
    const type = typePart.replace(WHITESPACE, '').toLowerCase();
    // `a,b.pdf` inside an unquoted file name is not a second disposition: after the first, only a
    // piece that starts with a type-like token (letters, digits, hyphens) starts one.
    if (index > 0 && !DISPOSITION_TYPE.test(type)) continue;
    if (type !== 'inline') attachment = true;
    for (const param of params) {
      const equals = param.indexOf('=');
      if (equals < 0) continue;
      const name = param.slice(0, equals).replace(WHITESPACE, '').toLowerCase();
      const raw = unquote(param.slice(equals + 1).trim());
      if (name === 'filename*') fileNames.push(extValue(raw));
      else if (name === 'filename') fileNames.push(raw, decodeRepeatedly(raw));
    }
  }
  if (!attachment && fileNames.length === 0) return NO_DISPOSITION;
  return { attachment, fileNames };
}

/**
 * The name a file would be saved under, as compared with extensions: the last path segment (either
 * slash), matrix parameters (`;jsessionid=…`) dropped, trailing dots and spaces dropped (Windows
 * drops them when saving), lower-case.
 */
export function comparableFileName(name: string): string {
  const segment = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const semicolon = segment.indexOf(';');
  const bare = semicolon >= 0 ? segment.slice(0, semicolon) : segment;
  // NUL first: `q3.xlsx.%00` must end in `xlsx` once both are gone.
  return bare
    .replaceAll('\u0000', '')
    .replace(/[.\s]+$/, '')
    .toLowerCase();
}

/** The last segment of a request URL's path (absolute URL or path), percent-decoded until stable. */
export function lastPathSegment(url: string): string {
  let path = url;
  const schemeEnd = path.indexOf('://');
  if (schemeEnd >= 0 && schemeEnd < path.search(/[/?#]|$/)) {
    const pathStart = path.indexOf('/', schemeEnd + 3);
    path = pathStart >= 0 ? path.slice(pathStart) : '/';
  }
  const end = path.search(/[?#]/);
  if (end >= 0) path = path.slice(0, end);
  return comparableFileName(decodeRepeatedly(path));
}

/** Whether a comparable file name ends with one of the extensions (lower-case, no leading dot). */
export function matchingExtension(fileName: string, extensions: readonly string[]): string | undefined {
  for (const extension of extensions) if (fileName.endsWith(`.${extension}`)) return extension;
  return undefined;
}

/** Whether a media type is in a list (`type/*` entries cover their top-level type). */
export function mediaTypeListed(type: string, exact: ReadonlySet<string>, wholeTypes: ReadonlySet<string>): boolean {
  if (exact.has(type)) return true;
  const slash = type.indexOf('/');
  return slash > 0 && wholeTypes.has(type.slice(0, slash));
}

/**
 * A response's whole size in bytes, or undefined when it cannot be known: a 206's Content-Range
 * total (`bytes 0-99/5000` → 5000; `*` unknown); otherwise Content-Length, unless the body is
 * chunked; several or malformed lengths → unknown.
 */
export function wholeSizeOf(status: number, headers: HeaderValues): number | undefined {
  if (status === 206) {
    const range = headers.get('content-range');
    const match = range === null ? null : /^\s*bytes\s+(?:\d+-\d+|\*)\s*\/\s*(\d+)\s*$/i.exec(range);
    if (match) return Number(match[1]);
    return undefined;
  }
  const transferEncoding = headers.get('transfer-encoding');
  if (transferEncoding !== null && /chunked/i.test(transferEncoding)) return undefined;
  const length = headers.get('content-length');
  if (length === null) return undefined;
  const values = new Set(length.split(',').map((part) => part.trim()));
  if (values.size !== 1) return undefined;
  const [only = ''] = values;
  return /^\d{1,16}$/.test(only) ? Number(only) : undefined;
}
