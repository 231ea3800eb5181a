/**
 * Recognises private-key material in bytes that should hold only certificates (an admin's CA
 * upload): PEM blocks whose label names a private key (`PRIVATE KEY`, `RSA PRIVATE KEY`,
 * `EC PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE KEY`, …), and DER (or bare base64 of
 * DER) shaped as PKCS#8, encrypted PKCS#8, PKCS#1 RSA, SEC 1 EC, DSA or a PKCS#12 / PFX file, in
 * BER as Windows writes some PFX files (indefinite lengths).
 *
 * The answer only names the kind of thing found, never any of its bytes: callers put it in an
 * error detail, and key material must not be echoed or logged. A certificate's outer SEQUENCE
 * starts with a SEQUENCE (tbsCertificate); every key format here starts with an INTEGER or is a
 * two-element SEQUENCE { AlgorithmIdentifier, OCTET STRING }, so certificates are never mistaken
 * for keys.
 * May import: asn1js.
 */
import * as asn1js from 'asn1js';

/** PEM labels that carry a private key or a PKCS#12 container (RFC 7468 and common non-standard ones). */
const PRIVATE_PEM_LABEL = /-----BEGIN ((?:[A-Z0-9]+ )*PRIVATE KEY|PKCS12|PKCS #12)-----/u;
/** PuTTY's key file format, for completeness (it is not PEM). */
const PUTTY_KEY = /PuTTY-User-Key-File-\d+:/u;
const BARE_BASE64 = /^[A-Za-z0-9+/=\s]+$/u;

/** OIDs of the PKCS#7 content types a PFX's authSafe may have (data, signedData). */
const PKCS7_DATA_OR_SIGNED = new Set(['1.2.840.113549.1.7.1', '1.2.840.113549.1.7.2']);

function integerValue(block: asn1js.AsnType | undefined): number | undefined {
  if (!(block instanceof asn1js.Integer)) return undefined;
  return block.valueBlock.valueHexView.length <= 4 ? block.valueBlock.valueDec : undefined;
}

function startsWithOid(block: asn1js.AsnType | undefined, oids?: ReadonlySet<string>): boolean {
  if (!(block instanceof asn1js.Sequence)) return false;
  const first = block.valueBlock.value[0];
  if (!(first instanceof asn1js.ObjectIdentifier)) return false;
  return oids === undefined || oids.has(first.valueBlock.toString());
}

/** What kind of key container a DER (or BER) blob is, if it is one. */
function derKeyKind(bytes: Uint8Array): string | undefined {
  if (bytes.length < 2 || bytes[0] !== 0x30) return undefined;
  let parsed: ReturnType<typeof asn1js.fromBER>;
  try {
    parsed = asn1js.fromBER(bytes);
  } catch {
    return undefined;
  }
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) return undefined;
  const items = parsed.result.valueBlock.value;
  const [first, second, third] = items;
  const version = integerValue(first);
  if (version === 3 && startsWithOid(second, PKCS7_DATA_OR_SIGNED))
    return 'a PKCS#12 / PFX file (certificate with its private key)';
  if ((version === 0 || version === 1) && startsWithOid(second) && third instanceof asn1js.OctetString)
    return 'a PKCS#8 private key (DER)';
  if (version === 1 && second instanceof asn1js.OctetString) return 'an EC private key (SEC 1, DER)';
  if (version === 0 && items.length >= 9 && items.slice(0, 9).every((item) => item instanceof asn1js.Integer))
    return 'an RSA private key (PKCS#1, DER)';
  if (version === 0 && items.length === 6 && items.every((item) => item instanceof asn1js.Integer))
    return 'a DSA private key (DER)';
  if (items.length === 2 && startsWithOid(first) && second instanceof asn1js.OctetString)
    return 'an encrypted PKCS#8 private key (DER)';
  return undefined;
}

/**
 * What private-key material `body` contains (a short description naming only its kind), or
 * undefined when there is none. Never throws.
 */
export function privateKeyMaterialIn(body: Uint8Array): string | undefined {
  if (body.length === 0) return undefined;
  if (body[0] === 0x30) return derKeyKind(body);
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1');
  const pem = PRIVATE_PEM_LABEL.exec(text);
  if (pem) return `a PEM "${pem[1] ?? 'PRIVATE KEY'}" block`;
  if (PUTTY_KEY.test(text)) return 'a PuTTY private key file';
  if (!text.includes('-----BEGIN') && BARE_BASE64.test(text)) {
    const compact = text.replace(/\s+/gu, '');
    if (compact.length >= 8 && compact.length % 4 === 0) {
      const kind = derKeyKind(new Uint8Array(Buffer.from(compact, 'base64')));
      if (kind) return `${kind} as base64`;
    }
  }
  return undefined;
}
