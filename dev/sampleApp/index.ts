/**
 * Contoso Files, the sample app behind certgate's gate in the local stack: the public surface for
 * the stack, the tour and the tests. Dev and test only.
 * May import: the modules of this folder.
 */
export {
  IDENTITY_HEADERS,
  UPLOADS_KEPT,
  startContosoFiles,
  type ContosoFiles,
  type ContosoFilesOptions,
  type StoredUpload,
} from './contosoFiles.js';
export { csvRow, fileCatalogue, patternByte, type CatalogueFile, type CatalogueSizes } from './fileCatalogue.js';
export {
  ASSERTION_HEADER,
  JWKS_PATH,
  gateAssertionVerifier,
  type AssertionCheck,
  type AssertionVerifier,
  type GateTrust,
} from './gateAssertion.js';
