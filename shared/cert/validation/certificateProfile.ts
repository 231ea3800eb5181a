/**
 * RFC 5280 profile rules a certificate must meet to take part in a path, beyond the §6.1
 * algorithm: serial number form, criticality of basicConstraints / name constraints /
 * policyConstraints / key identifiers / AIA, mandatory key identifiers, non-empty CA subjects,
 * SAN criticality with an empty subject, well-formed dNSName SANs, v3 for non-anchors, and the CA-only extensions
 * (pathLenConstraint, keyCertSign, name constraints).
 * Trust anchors get the subset that concerns how they constrain the path (documented in
 * docs/conformance.md). Also the leaf profiles: what the certificate in the leaf position must be
 * (the client-certificate profile refuses CA certificates there).
 * May import: ../x509/*.
 */
import type { ParsedCertificate } from '../x509/certificate.js';
import { ExtensionOid } from '../x509/oids.js';

/** Where a certificate sits in the path. */
export type PathRole = 'leaf' | 'intermediate' | 'anchor';

/**
 * Rules for the certificate in the leaf position.
 * - `client-certificate` (the default): the leaf must be an end-entity certificate — not a CA
 *   (basicConstraints cA TRUE or keyUsage keyCertSign) and not a trust anchor — and must list
 *   every required EKU in its own EKU extension (no extension, or anyExtendedKeyUsage standing in
 *   for the required purpose, does not do).
 * - `rfc5280`: RFC 5280 alone: a CA certificate may be validated as the leaf, a leaf without the
 *   EKU extension is unrestricted and anyExtendedKeyUsage satisfies any required EKU (what the
 *   x509-limbo server-auth cases expect).
 */
export type LeafProfile = 'client-certificate' | 'rfc5280';

/** Every leaf profile (to check caller input). */
export const LEAF_PROFILES: readonly LeafProfile[] = ['client-certificate', 'rfc5280'];

/**
 * Why `certificate` is a CA certificate and so cannot be a client certificate, or undefined.
 * keyCertSign without cA is also an RFC 5280 profile violation; for a client certificate the
 * more telling answer is that it claims to sign certificates.
 */
export function certificateAuthorityMarker(certificate: ParsedCertificate): string | undefined {
  if (certificate.extensions.basicConstraints?.ca === true) return 'basicConstraints cA is TRUE';
  if (certificate.extensions.keyUsage?.usages.has('keyCertSign') === true) return 'keyUsage includes keyCertSign';
  return undefined;
}

const MAX_SERIAL_OCTETS = 20;

function isSelfSigned(certificate: ParsedCertificate): boolean {
  if (certificate.subject.normalized !== certificate.issuer.normalized) return false;
  const aki = certificate.extensions.authorityKeyIdentifier?.keyIdentifier;
  const ski = certificate.extensions.subjectKeyIdentifier?.keyIdentifier;
  return aki === undefined || ski === undefined || aki === ski;
}

/** Whether a dNSName SAN is a syntactically valid (optionally wildcard) host name. */
export function isValidDnsSan(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const body = name.startsWith('*.') ? name.slice(2) : name;
  const labels = body.split('.');
  if (labels.some((label) => !/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/u.test(label))) return false;
  // An all-numeric last label is an IP address written as a dNSName.
  return !/^[0-9]+$/u.test(labels[labels.length - 1] ?? '');
}

function serialViolation(serialHex: string): string | undefined {
  const octets = serialHex.length / 2;
  const first = parseInt(serialHex.slice(0, 2), 16);
  if (first & 0x80) return 'serial number is negative';
  if (/^0+$/u.test(serialHex)) return 'serial number is zero';
  if (octets > MAX_SERIAL_OCTETS) return `serial number is ${octets} octets (more than ${MAX_SERIAL_OCTETS})`;
  return undefined;
}

/** The first profile rule `certificate` breaks in `role`, or undefined. */
export function profileViolation(certificate: ParsedCertificate, role: PathRole): string | undefined {
  const { extensions } = certificate;
  const isCa = extensions.basicConstraints?.ca === true;
  const isIssuer = role !== 'leaf';
  const present = new Map(extensions.present.map((extension) => [extension.oid, extension.critical]));

  if (role !== 'anchor' && certificate.version !== 3) return `version ${certificate.version} certificate (v3 required)`;
  if (role !== 'anchor') {
    const serial = serialViolation(certificate.serialNumber);
    if (serial !== undefined) return serial;
  }
  if (extensions.basicConstraints?.pathLength !== undefined && !isCa) return 'pathLenConstraint without cA';
  if (extensions.keyUsage?.usages.has('keyCertSign') === true && !isCa) return 'keyCertSign without cA';
  if (extensions.nameConstraints !== undefined && !isCa) return 'name constraints in a non-CA certificate';
  if (isIssuer && isCa && present.get(ExtensionOid.basicConstraints) === false)
    return 'basicConstraints of a CA is not critical';
  if (extensions.nameConstraints !== undefined && !extensions.nameConstraints.critical)
    return 'name constraints are not critical';
  if (extensions.policyConstraints !== undefined && !extensions.policyConstraints.critical)
    return 'policyConstraints is not critical';
  if (present.get(ExtensionOid.authorityKeyIdentifier) === true) return 'authorityKeyIdentifier is critical';
  if (present.get(ExtensionOid.subjectKeyIdentifier) === true) return 'subjectKeyIdentifier is critical';
  if (present.get(ExtensionOid.authorityInfoAccess) === true) return 'authorityInfoAccess is critical';
  if (isIssuer && isCa && extensions.subjectKeyIdentifier === undefined)
    return 'CA certificate without subjectKeyIdentifier';
  // Key identifiers exist to find issuers: a certificate must name its issuer's key (AKI) unless
  // it is self-signed or an anchor (nothing above an anchor is looked up), and a CA must carry
  // the SKI its subordinates' AKI point at.
  if (
    role !== 'anchor' &&
    extensions.authorityKeyIdentifier?.keyIdentifier === undefined &&
    !isSelfSigned(certificate)
  ) {
    return 'certificate without authorityKeyIdentifier keyIdentifier';
  }
  if (isIssuer && isCa && certificate.subject.rdns.length === 0) return 'CA certificate with an empty subject';
  const san = extensions.subjectAltName;
  if (certificate.subject.rdns.length === 0 && (san === undefined || !san.critical))
    return 'empty subject without a critical subjectAltName';
  for (const name of san?.names ?? []) {
    if (name.kind === 'dNSName' && !isValidDnsSan(name.value))
      return `malformed dNSName SAN ${JSON.stringify(name.value)}`;
  }
  return undefined;
}
