/**
 * `certgate verify`: reads the leaf, intermediates, trusted CAs and CRLs from files (PEM or DER),
 * runs the public validator (`validateCertificatePath`) and prints the verdict, the path and the
 * trace (or the result as JSON). This is an edge: it reads files and, when no `--time` is given,
 * the clock (through `io.now`). Trust, chain and CRL files that cannot be read or parsed are usage
 * errors (exit 2, naming the option and file); a leaf that does not parse is a verdict
 * (`certificate-malformed`, exit 1), since judging the leaf is the command's job.
 * May import: node built-ins, ../cert/validation/index.js, the modules of this folder.
 */
import { open } from 'node:fs/promises';
import {
  certificateSummary,
  createTrustStore,
  isCrlParseFailure,
  parseCertificates,
  parseCrl,
  validateCertificatePath,
  type ParsedCrl,
  type ValidationResult,
} from '../cert/validation/index.js';
import { EXIT_CODES, type CommandIo, type ExitCode } from './commandIo.js';
import { formatVerdictReport } from './verdictReport.js';
import { parseVerifyOptions, VERIFY_USAGE, type VerifyOptions } from './verifyOptions.js';
import { CertgateError, messageOf } from '../errors.js';

/** Largest input file read (large CAs publish CRLs of tens of MB); guards against reading a device forever. */
const MAX_INPUT_FILE_BYTES = 64 * 1024 * 1024;
const READ_CHUNK_BYTES = 64 * 1024;

/** An input file that cannot be used; the message names the option and the file. */
class InputFileError extends CertgateError {
  readonly code = 'cli-input-file-unreadable';
}

async function readInputFile(path: string, option: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new InputFileError(`--${option} ${path}: cannot read the file (${messageOf(error)})`);
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(READ_CHUNK_BYTES);
      const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK_BYTES, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_INPUT_FILE_BYTES)
        throw new InputFileError(`--${option} ${path}: the file is larger than ${MAX_INPUT_FILE_BYTES} bytes`);
      chunks.push(chunk.subarray(0, bytesRead));
    }
    return new Uint8Array(Buffer.concat(chunks));
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(`--${option} ${path}: cannot read the file (${messageOf(error)})`);
  } finally {
    await handle.close();
  }
}

async function readCertificateFile(path: string, option: string): Promise<Uint8Array[]> {
  const parsed = parseCertificates(await readInputFile(path, option));
  if (!parsed.ok)
    throw new InputFileError(`--${option} ${path}: not a certificate file, PEM or DER (${parsed.detail})`);
  return parsed.certificates.map((certificate) => certificate.der);
}

async function readCrlFile(path: string): Promise<ParsedCrl> {
  const parsed = parseCrl(await readInputFile(path, 'crl'));
  if (isCrlParseFailure(parsed)) throw new InputFileError(`--crl ${path}: not a CRL, PEM or DER (${parsed.detail})`);
  return parsed;
}

/** Validate as the options say; file problems throw {@link InputFileError}. */
async function verify(
  options: VerifyOptions,
  time: Date,
): Promise<{ result: ValidationResult; trustedThumbprints: Set<string> }> {
  const trusted = (await Promise.all(options.trustPaths.map((path) => readCertificateFile(path, 'trust')))).flat();
  const intermediates = (
    await Promise.all(options.chainPaths.map((path) => readCertificateFile(path, 'chain')))
  ).flat();
  const parsedCrls = await Promise.all(options.crlPaths.map(readCrlFile));
  const leafFile = await readInputFile(options.leafPath, 'leaf');
  // A bundle given as the leaf (a "fullchain" file): the first certificate is the leaf, the rest are candidates.
  const leafBundle = parseCertificates(leafFile);
  let leaf: Uint8Array = leafFile;
  if (leafBundle.ok) {
    const [first, ...rest] = leafBundle.certificates;
    if (first !== undefined) leaf = first.der;
    intermediates.push(...rest.map((certificate) => certificate.der));
  }
  const trustStore = createTrustStore(trusted);
  const result = validateCertificatePath({
    leaf,
    intermediates,
    trustStore,
    time,
    clockSkewSeconds: options.clockSkewSeconds,
    requiredEkus: options.requiredEkus,
    maxChainDepth: options.maxChainDepth,
    parsedCrls,
    revocation: options.revocation,
    allowSha1: options.allowSha1,
    minRsaBits: options.minRsaBits,
    ...(options.initialPolicySet === undefined ? {} : { initialPolicySet: options.initialPolicySet }),
    explicitPolicy: options.explicitPolicy,
    policyMappingInhibit: options.policyMappingInhibit,
    anyPolicyInhibit: options.anyPolicyInhibit,
  });
  return {
    result,
    trustedThumbprints: new Set(trustStore.anchors.map((anchor) => certificateSummary(anchor).sha256Thumbprint)),
  };
}

/**
 * Run `certgate verify` with the arguments that follow `verify`. Writes the verdict to stdout and
 * problems to stderr; returns 0 (valid), 1 (invalid) or 2 (usage error, unusable file, or a
 * request the validator refused as `certificate-validation-input-invalid`).
 */
export async function runVerifyCommand(args: readonly string[], io: CommandIo): Promise<ExitCode> {
  const parsed = parseVerifyOptions(args);
  if (parsed.kind === 'help') {
    io.stdout.write(VERIFY_USAGE);
    return EXIT_CODES.valid;
  }
  if (parsed.kind === 'usage-error') {
    io.stderr.write(`certgate verify: ${parsed.message}\nRun 'certgate verify --help' for the options.\n`);
    return EXIT_CODES.usage;
  }
  const { options } = parsed;
  const time = options.time ?? (io.now ?? (() => new Date()))();
  let outcome: Awaited<ReturnType<typeof verify>>;
  try {
    outcome = await verify(options, time);
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error;
    io.stderr.write(`certgate verify: ${error.message}\n`);
    return EXIT_CODES.usage;
  }
  const { result, trustedThumbprints } = outcome;
  io.stdout.write(
    options.json ? `${JSON.stringify(result, null, 2)}\n` : formatVerdictReport(result, { time, trustedThumbprints }),
  );
  if (result.ok) return EXIT_CODES.valid;
  if (result.reason === 'certificate-validation-input-invalid') {
    const detail = result.trace.find((entry) => entry.reason === result.reason)?.detail ?? '';
    io.stderr.write(`certgate verify: the validator refused the request: ${detail}\n`);
    return EXIT_CODES.usage;
  }
  return EXIT_CODES.invalid;
}
