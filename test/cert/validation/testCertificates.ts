/**
 * The defaults of the validation tests on top of the dev PKI (`dev/pki/issue.ts` issues every
 * certificate and CRL): the validation instant, a P-256 key and a validity around it unless a case
 * says otherwise, and a CRL window that is current at that instant.
 * May import: @peculiar/x509, dev/pki.
 */
import 'reflect-metadata';
import { X509CrlReason } from '@peculiar/x509';
import {
  issueCertificate,
  issueCrl,
  type IssueCertificateOptions,
  type IssueCrlOptions,
  type IssuedCertificate,
  type IssuerCredentials,
} from '../../../dev/pki/issue.js';

/** The validation time of the tests. */
export const NOW = new Date('2025-06-01T00:00:00Z');

/** What a test must say about a certificate; key algorithm and validity default to P-256, 2020–2035. */
export type TestCertificateOptions = Omit<IssueCertificateOptions, 'keyAlgorithm' | 'notBefore' | 'notAfter'> &
  Partial<Pick<IssueCertificateOptions, 'keyAlgorithm' | 'notBefore' | 'notAfter'>>;

/** Issues a certificate with the tests' defaults (see {@link TestCertificateOptions}). */
export function issueTestCertificate(options: TestCertificateOptions): Promise<IssuedCertificate> {
  return issueCertificate({
    keyAlgorithm: 'ecdsa-p256',
    notBefore: new Date('2020-01-01T00:00:00Z'),
    notAfter: new Date('2035-01-01T00:00:00Z'),
    ...options,
  });
}

/**
 * Issues a CRL from `issuer` revoking `serials` (hexadecimal) for keyCompromise, current at
 * {@link NOW} (thisUpdate the day before, nextUpdate six days after, CRL number 1) unless overridden.
 */
export async function issueTestCrl(
  issuer: IssuerCredentials,
  serials: readonly string[],
  options: Partial<Omit<IssueCrlOptions, 'issuer' | 'revoked'>> = {},
): Promise<Uint8Array> {
  const revoked = serials.map((serial) => ({
    serial,
    date: new Date('2025-05-30T00:00:00Z'),
    reason: X509CrlReason.keyCompromise,
  }));
  const crl = await issueCrl({
    issuer,
    revoked,
    thisUpdate: new Date('2025-05-31T00:00:00Z'),
    nextUpdate: new Date('2025-06-07T00:00:00Z'),
    crlNumber: 1,
    ...options,
  });
  return crl.der;
}
