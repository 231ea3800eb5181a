/**
 * Decides which uploaded certificates may become trusted CAs: each must be a well-formed X.509
 * certificate, a CA (basicConstraints cA), inside its validity window, and not already trusted.
 * Pure: the certificates, the thumbprints already stored and `now` come in; records or reason
 * codes go out.
 * An upload that carries a private key is refused whole (the key is never echoed or logged).
 * It also names the CRL distribution points to load when a CA is added.
 * May import: node:crypto (parsing only), ports (types), the cert core (PEM decoder, private-key
 * recogniser, certificate parser), the revocation policy's URL rules.
 */
import { X509Certificate } from 'node:crypto';
import {
  DEFAULT_BINDING_RULE_NAMES,
  DEFAULT_REVOCATION_POLICY,
  type RevocationPolicy,
  type TrustedCa,
} from '../ports.js';
import { decodePemBlocks } from '../cert/x509/pemBlocks.js';
import { privateKeyMaterialIn } from '../cert/x509/privateKeyMaterial.js';
import { parseCertificates } from '../cert/validation/index.js';
import { crlUrlsOf } from './revocationPolicy.js';
import type { ManagementReason } from '../reasons.js';

/** One uploaded certificate's verdict. */
export type CaAdmission =
  | { readonly ok: true; readonly ca: Omit<TrustedCa, 'etag'> }
  | {
      readonly ok: false;
      readonly reason: ManagementReason;
      readonly thumbprint?: string;
      readonly subject?: string;
      readonly detail: string;
    };

/** Who added it and how it is labelled. */
export interface AdmissionContext {
  readonly existingThumbprints: ReadonlySet<string>;
  readonly now: Date;
  readonly addedBy: string;
  readonly label?: string;
  readonly revocation?: RevocationPolicy;
  readonly crlUrls?: readonly string[];
  readonly bindingRules?: readonly string[];
}

/** Judges each DER certificate of an upload. */
export function admitCaCertificates(ders: readonly Uint8Array[], context: AdmissionContext): CaAdmission[] {
  const seen = new Set<string>();
  return ders.map((der): CaAdmission => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(der);
    } catch (error) {
      return {
        ok: false,
        reason: 'ca-malformed',
        detail: error instanceof Error ? error.message : 'not an X.509 certificate',
      };
    }
    const thumbprint = cert.fingerprint256.replaceAll(':', '').toLowerCase();
    const who = { thumbprint, subject: cert.subject.replaceAll('\n', ', ') };
    if (!cert.ca) return { ok: false, reason: 'ca-not-a-ca', ...who, detail: 'basicConstraints cA is not set' };
    const notBefore = new Date(cert.validFrom);
    const notAfter = new Date(cert.validTo);
    if (context.now > notAfter)
      return { ok: false, reason: 'ca-expired', ...who, detail: `expired ${notAfter.toISOString()}` };
    if (context.now < notBefore)
      return { ok: false, reason: 'ca-expired', ...who, detail: `not valid before ${notBefore.toISOString()}` };
    if (context.existingThumbprints.has(thumbprint) || seen.has(thumbprint)) {
      return { ok: false, reason: 'ca-already-present', ...who, detail: 'already trusted' };
    }
    seen.add(thumbprint);
    return {
      ok: true,
      ca: {
        thumbprint,
        der: new Uint8Array(cert.raw),
        subject: who.subject,
        issuer: cert.issuer.replaceAll('\n', ', '),
        serialNumber: cert.serialNumber.toLowerCase(),
        notBefore: notBefore.toISOString(),
        notAfter: notAfter.toISOString(),
        kind: cert.checkIssued(cert) && cert.verify(cert.publicKey) ? 'root' : 'intermediate',
        label: context.label ?? who.subject,
        enabled: true,
        revocation: context.revocation ?? DEFAULT_REVOCATION_POLICY,
        crlUrls: context.crlUrls ?? [],
        bindingRules: context.bindingRules ?? DEFAULT_BINDING_RULE_NAMES,
        addedAt: context.now.toISOString(),
        addedBy: context.addedBy,
      },
    };
  });
}

/**
 * The CRL distribution points to load when a CA is added: the URLs the admin configured, then those
 * its own certificate names (its issuer's CRL, which covers it), without repeats. Not-http(s) ones
 * stay in the list: the CRL cache reports them as skipped.
 */
export function crlUrlsToLoad(ca: Pick<TrustedCa, 'der' | 'crlUrls'>): string[] {
  const parsed = parseCertificates(ca.der);
  const named = parsed.ok && parsed.certificates[0] ? crlUrlsOf(parsed.certificates[0]) : [];
  return [...new Set([...ca.crlUrls, ...named])];
}

/** Why an upload could not be split into certificates; `detail` never carries any of the upload's bytes. */
export type UploadRefusal =
  | { readonly reason: 'ca-bundle-empty' | 'ca-malformed' }
  | { readonly reason: 'ca-upload-contains-private-key'; readonly detail: string };

/**
 * The refusal for an upload that carries a private key (PEM key blocks, DER keys, PKCS#12 / PFX),
 * or undefined. Checked before anything else, so a bundle that also has certificates is refused
 * whole and nothing is stored. The detail names the kind of key, never its bytes.
 */
export function privateKeyRefusal(body: Uint8Array): UploadRefusal | undefined {
  const kind = privateKeyMaterialIn(body);
  if (kind === undefined) return undefined;
  return {
    reason: 'ca-upload-contains-private-key',
    detail: `the upload contains ${kind}: upload only the CA certificate (PEM "BEGIN CERTIFICATE" or a DER .cer file, e.g. certutil -ca.cert ca.cer); nothing was stored`,
  };
}

/**
 * Splits an upload into DER certificates: PEM text (one or many blocks, any line endings) or one
 * DER certificate. `ca-upload-contains-private-key` when a private key (or a PFX) is in it,
 * `ca-bundle-empty` when there is nothing, `ca-malformed` when it is neither.
 */
export function decodeCertificateUpload(body: Uint8Array): Uint8Array[] | UploadRefusal {
  if (body.length === 0) return { reason: 'ca-bundle-empty' };
  const refusal = privateKeyRefusal(body);
  if (refusal) return refusal;
  if (body[0] === 0x30) return [body];
  const text = Buffer.from(body).toString('latin1');
  if (text.trim().length === 0) return { reason: 'ca-bundle-empty' };
  if (!text.includes('-----BEGIN')) return { reason: 'ca-malformed' };
  const blocks = decodePemBlocks(text, ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
  if (!blocks.ok) return { reason: 'ca-malformed' };
  return blocks.blobs.length > 0 ? blocks.blobs : { reason: 'ca-bundle-empty' };
}
