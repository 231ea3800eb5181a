/**
 * Decides which uploaded certificates may become trusted CAs: each must be a well-formed X.509
 * certificate, a CA (basicConstraints cA), inside its validity window, and not already trusted.
 * Pure: the certificates, the thumbprints already stored and `now` come in; records or reason
 * codes go out.
 * May import: node:crypto (parsing only), ports (types), the cert core's PEM decoder.
 */
import { X509Certificate } from 'node:crypto';
import { DEFAULT_BINDING_RULE_NAMES, DEFAULT_REVOCATION_POLICY, type RevocationPolicy, type TrustedCa } from '../ports.js';
import { decodePemBlocks } from '../cert/x509/pemBlocks.js';
import type { ManagementReason } from '../reasons.js';

/** One uploaded certificate's verdict. */
export type CaAdmission =
  | { readonly ok: true; readonly ca: Omit<TrustedCa, 'etag'> }
  | { readonly ok: false; readonly reason: ManagementReason; readonly thumbprint?: string; readonly subject?: string; readonly detail: string };

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
      return { ok: false, reason: 'ca-malformed', detail: error instanceof Error ? error.message : 'not an X.509 certificate' };
    }
    const thumbprint = cert.fingerprint256.replaceAll(':', '').toLowerCase();
    const who = { thumbprint, subject: cert.subject.replaceAll('\n', ', ') };
    if (!cert.ca) return { ok: false, reason: 'ca-not-a-ca', ...who, detail: 'basicConstraints cA is not set' };
    const notBefore = new Date(cert.validFrom);
    const notAfter = new Date(cert.validTo);
    if (context.now > notAfter) return { ok: false, reason: 'ca-expired', ...who, detail: `expired ${notAfter.toISOString()}` };
    if (context.now < notBefore) return { ok: false, reason: 'ca-expired', ...who, detail: `not valid before ${notBefore.toISOString()}` };
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
 * Splits an upload into DER certificates: PEM text (one or many blocks, any line endings) or one
 * DER certificate. `ca-bundle-empty` when there is nothing, `ca-malformed` when it is neither.
 */
export function decodeCertificateUpload(body: Uint8Array): Uint8Array[] | { reason: 'ca-bundle-empty' | 'ca-malformed' } {
  if (body.length === 0) return { reason: 'ca-bundle-empty' };
  if (body[0] === 0x30) return [body];
  const text = Buffer.from(body).toString('latin1');
  if (text.trim().length === 0) return { reason: 'ca-bundle-empty' };
  if (!text.includes('-----BEGIN')) return { reason: 'ca-malformed' };
  const blocks = decodePemBlocks(text, ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
  if (!blocks.ok) return { reason: 'ca-malformed' };
  return blocks.blobs.length > 0 ? blocks.blobs : { reason: 'ca-bundle-empty' };
}
