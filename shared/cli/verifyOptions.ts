/**
 * The options of `certgate verify`: the command line (parsed by node:util `parseArgs`) checked
 * and turned into typed values, or a usage error whose message names the offending option.
 * Parsing only: no file is read here.
 * May import: node built-ins, ../cert/validation/index.js, ../cert/x509/oids.js.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { RevocationMode } from '../cert/validation/index.js';
import { ExtendedKeyUsageOid } from '../cert/x509/oids.js';
import { CertgateError } from '../errors.js';

/** The verify options as the user gave them, checked. Paths are as typed (relative to the working directory). */
export interface VerifyOptions {
  readonly leafPath: string;
  readonly chainPaths: readonly string[];
  readonly trustPaths: readonly string[];
  readonly crlPaths: readonly string[];
  /** Validation time; undefined means "now" (the caller's clock). */
  readonly time: Date | undefined;
  /** Required EKU OIDs; undefined keeps the validator's default (clientAuth). */
  readonly requiredEkus: readonly string[] | undefined;
  readonly maxChainDepth: number | undefined;
  readonly revocation: RevocationMode | undefined;
  readonly clockSkewSeconds: number | undefined;
  readonly allowSha1: boolean;
  readonly minRsaBits: number | undefined;
  /** RFC 5280 user-initial-policy-set; undefined keeps the validator's default (anyPolicy). */
  readonly initialPolicySet: readonly string[] | undefined;
  /** RFC 5280 initial-explicit-policy, initial-policy-mapping-inhibit, initial-any-policy-inhibit. */
  readonly explicitPolicy: boolean;
  readonly policyMappingInhibit: boolean;
  readonly anyPolicyInhibit: boolean;
  readonly json: boolean;
}

/** Outcome of {@link parseVerifyOptions}: options, a request for help, or a usage error. */
export type VerifyOptionsResult =
  | { readonly kind: 'options'; readonly options: VerifyOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly message: string };

/** EKU names `--eku` accepts besides dotted OIDs (`any` is the anyExtendedKeyUsage OID). */
export const EKU_NAMES: Readonly<Record<string, string>> = {
  clientAuth: ExtendedKeyUsageOid.clientAuth,
  serverAuth: ExtendedKeyUsageOid.serverAuth,
  codeSigning: ExtendedKeyUsageOid.codeSigning,
  emailProtection: ExtendedKeyUsageOid.emailProtection,
  timeStamping: ExtendedKeyUsageOid.timeStamping,
  ocspSigning: ExtendedKeyUsageOid.ocspSigning,
  any: ExtendedKeyUsageOid.anyExtendedKeyUsage,
};

const REVOCATION_MODES: readonly RevocationMode[] = ['off', 'preferred', 'required'];

/** The usage text of `certgate verify`. */
export const VERIFY_USAGE = `Usage: certgate verify --leaf FILE --trust FILE [options]

Validates a client certificate path (RFC 5280) against trusted CAs, as certgate does for a
forwarded client certificate. Files may be PEM (one or many certificates) or DER.

  --leaf FILE            the certificate to validate (a PEM bundle: the first is the leaf, the
                         rest are used as intermediates)
  --chain FILE           untrusted intermediates (repeatable)
  --trust FILE           trusted CAs, roots or intermediates (repeatable, at least one)
  --time ISO-8601        validation time, e.g. 2026-11-22T00:00:00Z (default: now)
  --eku EKU              required extended key usage: a dotted OID, clientAuth, serverAuth,
                         codeSigning, emailProtection, timeStamping, ocspSigning, any
                         (anyExtendedKeyUsage) or none (no EKU check); repeatable (all are
                         required); default clientAuth
  --max-depth N          maximum intermediates between leaf and trusted CA (default 8)
  --crl FILE             CRL to consult, PEM or DER (repeatable)
  --revocation MODE      off | preferred | required (default off)
  --skew SECONDS         clock skew tolerated on validity and CRL windows (default 0)
  --allow-sha1           accept SHA-1 signatures
  --min-rsa-bits N       minimum RSA key size (default 2048)
  --policy OID           a certificate policy acceptable to you (RFC 5280
                         user-initial-policy-set): a dotted OID or any (anyPolicy); repeatable;
                         default any
  --explicit-policy      the path must be valid for one of the --policy values
                         (initial-explicit-policy)
  --inhibit-policy-mapping
                         no CA in the path may map policies (initial-policy-mapping-inhibit)
  --inhibit-any-policy   anyPolicy in a certificate counts for nothing
                         (initial-any-policy-inhibit)
  --json                 print the validation result as JSON
  -h, --help             show this help

Exit codes: 0 valid, 1 invalid (the reason code says why), 2 usage error or unreadable file.
`;

const OPTIONS = {
  leaf: { type: 'string', multiple: true },
  chain: { type: 'string', multiple: true },
  trust: { type: 'string', multiple: true },
  time: { type: 'string' },
  eku: { type: 'string', multiple: true },
  'max-depth': { type: 'string' },
  crl: { type: 'string', multiple: true },
  revocation: { type: 'string' },
  skew: { type: 'string' },
  'allow-sha1': { type: 'boolean' },
  'min-rsa-bits': { type: 'string' },
  policy: { type: 'string', multiple: true },
  'explicit-policy': { type: 'boolean' },
  'inhibit-policy-mapping': { type: 'boolean' },
  'inhibit-any-policy': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

// A date, or a date and time with an explicit zone: a zoneless time would silently mean local time.
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/u;
const WHOLE_NUMBER = /^\d{1,9}$/u;
const DOTTED_OID = /^[0-2](?:\.(?:0|[1-9]\d*))+$/u;

class UsageError extends CertgateError {
  readonly code = 'cli-usage-invalid';
}

function wholeNumber(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (!WHOLE_NUMBER.test(value)) throw new UsageError(`--${option} must be a whole number >= 0, got '${value}'`);
  return Number(value);
}

/** Whether the leading YYYY-MM-DD is a real calendar day (Date would roll 2026-02-30 over to March). */
function isCalendarDate(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number);
  if (year === undefined || month === undefined || day === undefined) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function validationTime(value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (!ISO_TIME.test(value) || !isCalendarDate(value) || Number.isNaN(time.getTime())) {
    throw new UsageError(
      `--time must be an ISO 8601 date or date-time with a zone (e.g. 2026-11-22T00:00:00Z), got '${value}'`,
    );
  }
  return time;
}

function requiredEkus(values: readonly string[] | undefined): readonly string[] | undefined {
  if (values === undefined) return undefined;
  if (values.includes('none')) {
    if (values.length > 1) throw new UsageError('--eku none cannot be combined with other --eku values');
    return [];
  }
  return values.map((value) => {
    const named = EKU_NAMES[value];
    if (named !== undefined) return named;
    if (DOTTED_OID.test(value)) return value;
    throw new UsageError(
      `--eku '${value}' is neither a dotted OID nor one of ${[...Object.keys(EKU_NAMES), 'none'].join(', ')}`,
    );
  });
}

/** anyPolicy (RFC 5280 §4.2.1.4), what `--policy any` stands for. */
const ANY_POLICY = '2.5.29.32.0';

function initialPolicySet(values: readonly string[] | undefined): readonly string[] | undefined {
  if (values === undefined) return undefined;
  return values.map((value) => {
    if (value === 'any') return ANY_POLICY;
    if (DOTTED_OID.test(value)) return value;
    throw new UsageError(`--policy '${value}' is neither a dotted OID nor any`);
  });
}

function revocationMode(value: string | undefined): RevocationMode | undefined {
  if (value === undefined) return undefined;
  const mode = REVOCATION_MODES.find((candidate) => candidate === value);
  if (mode === undefined)
    throw new UsageError(`--revocation must be one of ${REVOCATION_MODES.join(', ')}, got '${value}'`);
  return mode;
}

function checkedOptions(args: readonly string[]): VerifyOptionsResult {
  const { values } = parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help === true) return { kind: 'help' };
  const leaves = values.leaf ?? [];
  const [leafPath] = leaves;
  if (leafPath === undefined) throw new UsageError('--leaf is required (the certificate to validate)');
  if (leaves.length > 1) throw new UsageError('--leaf was given more than once (validate one certificate per run)');
  const trustPaths = values.trust ?? [];
  if (trustPaths.length === 0) throw new UsageError('--trust is required (at least one trusted CA file)');
  return {
    kind: 'options',
    options: {
      leafPath,
      chainPaths: values.chain ?? [],
      trustPaths,
      crlPaths: values.crl ?? [],
      time: validationTime(values.time),
      requiredEkus: requiredEkus(values.eku),
      maxChainDepth: wholeNumber(values['max-depth'], 'max-depth'),
      revocation: revocationMode(values.revocation),
      clockSkewSeconds: wholeNumber(values.skew, 'skew'),
      allowSha1: values['allow-sha1'] ?? false,
      minRsaBits: wholeNumber(values['min-rsa-bits'], 'min-rsa-bits'),
      initialPolicySet: initialPolicySet(values.policy),
      explicitPolicy: values['explicit-policy'] ?? false,
      policyMappingInhibit: values['inhibit-policy-mapping'] ?? false,
      anyPolicyInhibit: values['inhibit-any-policy'] ?? false,
      json: values.json ?? false,
    },
  };
}

/** Whether an error is one node:util `parseArgs` throws for a bad command line. */
function isParseArgsError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error &&
    'code' in error &&
    typeof error.code === 'string' &&
    error.code.startsWith('ERR_PARSE_ARGS_')
  );
}

/**
 * Parse the arguments that follow `verify`. Never throws: a bad command line is a `usage-error`
 * whose message names the option at fault.
 */
export function parseVerifyOptions(args: readonly string[]): VerifyOptionsResult {
  try {
    return checkedOptions(args);
  } catch (error) {
    if (error instanceof UsageError) return { kind: 'usage-error', message: error.message };
    if (isParseArgsError(error)) return { kind: 'usage-error', message: error.message.replace(/\s*\n\s*/gu, ' ') };
    throw error;
  }
}
