/**
 * PEM armour (RFC 7468) decoding, tolerant of CRLF, indentation and surrounding text, and the
 * DER-or-PEM input rule used for certificates and CRLs.
 * May import: nothing outside node built-ins.
 */

const BASE64_BODY = /^[A-Za-z0-9+/=\s]*$/u;

/** Result of splitting input into DER blobs. */
export type DerBlobsResult =
  { readonly ok: true; readonly blobs: Uint8Array[] } | { readonly ok: false; readonly detail: string };

function decodeBase64Strict(body: string): Uint8Array | undefined {
  const compact = body.replace(/\s+/gu, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/u.test(compact)) return undefined;
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/**
 * Decode every `-----BEGIN <label>-----` block in `text` (labels given in `labels`). A block with
 * a bad body or a missing END line is an error; text outside blocks is ignored.
 */
export function decodePemBlocks(text: string, labels: readonly string[]): DerBlobsResult {
  const blobs: Uint8Array[] = [];
  const begin = /-----BEGIN ([A-Z0-9 ]+)-----/gu;
  let match: RegExpExecArray | null;
  while ((match = begin.exec(text)) !== null) {
    const label = match[1] ?? '';
    const endMarker = `-----END ${label}-----`;
    const bodyStart = match.index + match[0].length;
    const endIndex = text.indexOf(endMarker, bodyStart);
    if (endIndex === -1) return { ok: false, detail: `PEM block ${label} has no END line` };
    begin.lastIndex = endIndex + endMarker.length;
    if (!labels.includes(label)) continue;
    const body = text.slice(bodyStart, endIndex);
    if (!BASE64_BODY.test(body)) return { ok: false, detail: `PEM block ${label} has headers or non-base64 text` };
    const der = decodeBase64Strict(body);
    if (der === undefined) return { ok: false, detail: `PEM block ${label} is not valid base64` };
    blobs.push(der);
  }
  return { ok: true, blobs };
}

/**
 * Turn DER bytes, PEM text (as a string or as bytes) or bare base64 into DER blobs.
 * DER is recognised by its leading SEQUENCE tag (0x30).
 */
export function derBlobsFromInput(input: string | Uint8Array, labels: readonly string[]): DerBlobsResult {
  if (input instanceof Uint8Array) {
    if (input.length === 0) return { ok: false, detail: 'empty input' };
    if (input[0] === 0x30) return { ok: true, blobs: [input] };
    return derBlobsFromInput(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1'), labels);
  }
  if (input.includes('-----BEGIN')) {
    const result = decodePemBlocks(input, labels);
    if (result.ok && result.blobs.length === 0) return { ok: false, detail: `no ${labels.join('/')} PEM block` };
    return result;
  }
  const der = decodeBase64Strict(input);
  if (der === undefined) return { ok: false, detail: 'neither PEM nor base64 DER' };
  return { ok: true, blobs: [der] };
}
