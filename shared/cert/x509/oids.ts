/**
 * Object identifiers certgate reads in certificates and CRLs, named for what they mean.
 * May import: nothing.
 */

/** Extension OIDs (RFC 5280 §4.2 and §5.2). */
export const ExtensionOid = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  certificateIssuer: '2.5.29.29',
  issuingDistributionPoint: '2.5.29.28',
  deltaCrlIndicator: '2.5.29.27',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  freshestCrl: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
} as const;

/** Extended key usage OIDs. */
export const ExtendedKeyUsageOid = {
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
} as const;

/** The anyPolicy certificate policy (RFC 5280 §4.2.1.4). */
export const ANY_POLICY_OID = '2.5.29.32.0';

/** Microsoft User Principal Name otherName (used by Entra certificate-based authentication). */
export const UPN_OTHER_NAME_OID = '1.3.6.1.4.1.311.20.2.3';

/** The PKCS#9 emailAddress attribute legacy certificates put in the subject DN. */
export const EMAIL_ADDRESS_ATTRIBUTE_OID = '1.2.840.113549.1.9.1';

/** The commonName attribute. */
export const COMMON_NAME_ATTRIBUTE_OID = '2.5.4.3';

/** Access methods in authorityInfoAccess. */
export const AccessMethodOid = {
  ocsp: '1.3.6.1.5.5.7.48.1',
  caIssuers: '1.3.6.1.5.5.7.48.2',
} as const;
