/**
 * The dev PKI: the public surface for the local stack and the tests. `ensureDevPki` writes and
 * reuses the named certificates of the local stack; `issueCertificate` / `issueCrl` mint anything
 * else a test needs. Dev and test only.
 * May import: the dev PKI modules only.
 */
export {
  DEV_DEVICE,
  DEV_PKI_CLIENT_NAMES,
  ensureDevPki,
  issuerCredentialsOf,
  type DevPki,
  type DevPkiCertificate,
  type DevPkiClientName,
  type DevPkiCrl,
  type DevPkiOptions,
} from './devPki.js';
export {
  crlNumberOf,
  generateKeyPair,
  importPrivateKey,
  issueCertificate,
  issueCrl,
  randomSerial,
  type IssueCertificateOptions,
  type IssueCrlOptions,
  type IssuedCertificate,
  type IssuedCrl,
  type IssuerCredentials,
  type KeyAlgorithmName,
  type KeyUsageName,
  type RevokedEntry,
  type SubjectAlternativeNames,
} from './issue.js';
