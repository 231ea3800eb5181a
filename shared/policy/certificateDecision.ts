/**
 * The certificate requirement as a decision: from what intake read and what validation found, the
 * effect, the reason codes, the check that failed, the device tags and the trace. No I/O, no
 * clock: everything arrives as arguments. The certificate rule is "a valid client certificate is
 * required"; the baseline and the access policies go on top of it (`applyPolicyDecision`). The gateway's own verdict is
 * reported; in strict mode the intake has
 * already turned a FAILED verdict into a rejection.
 * May import: the cert core's types, decision reasons.
 */
import type { IntakeResult } from '../cert/intake/index.js';
import type { CertificateReason, CertificateSummary, TraceEntry, ValidationResult } from '../cert/validation/index.js';
import type { IntakeReason } from '../cert/intake/reasons.js';
import type { DecisionReason } from '../reasons.js';
import type { PolicyDecision } from './evaluateAccess.js';
import type { DirectoryTrace } from './directoryNeeds.js';
import type { DeviceTag } from './model.js';
import type { PolicyReason } from './policyReasons.js';
import type { AppResolution } from './registeredApps.js';

/** Tags a device earns (the policy model's): `valid-client-certificate` comes from here, the rest from Graph. */
export type { DeviceTag } from './model.js';

/** Any reason code a decision can carry. */
export type AnyReason = DecisionReason | CertificateReason | IntakeReason | PolicyReason;

/** A decision, as a value. */
export interface Decision {
  readonly effect: 'allow' | 'block';
  /** The outcome code first, then the code of the check that caused it. */
  readonly reasons: readonly AnyReason[];
  /** The name of the check that failed, when one did. */
  readonly failedCheck?: string;
  readonly deviceTags: readonly DeviceTag[];
  /** Tags that could not be established (the directory did not answer): policies' fail mode decides. */
  readonly unknownDeviceTags?: readonly DeviceTag[];
  readonly certificate?: CertificateSummary;
  /** SHA-256 thumbprints of the CAs on the validated path (issuer first), for issuer conditions. */
  readonly pathThumbprints?: readonly string[];
  readonly gatewayVerification?: string;
  readonly correlationId: string;
  readonly decidedAt: string;
  /** The full validation trace, for the decision log and admins; not shown to end users. */
  readonly trace: readonly TraceEntry[];
  /** The access policies' verdict and per-policy trace, when policies are configured. */
  readonly policy?: Pick<PolicyDecision, 'reason' | 'decidedBy' | 'alerts' | 'policies'>;
  /** The deciding block policy's message for the person blocked. */
  readonly blockMessage?: string;
  /** Where the group memberships and device state the policies used came from. */
  readonly directory?: DirectoryTrace;
  /** Which registered app the request was for, or `app-unregistered` (then only the baseline decided). */
  readonly app?: AppResolution;
}

/** Baseline reasons under which the certificate's own outcome is the whole story (its reasons stand unchanged). */
const CERTIFICATE_BASELINE: ReadonlySet<string> = new Set([
  'baseline-certificate-valid',
  'baseline-certificate-required',
]);

// Lists a decision is built from are shared between requests when they are frozen (a memoised
// validation's reasons, the valid-certificate tag, a cached directory answer's tags): so are the
// lists built from them, which the decision log then serialises once (logLineDecisionLog.ts).
const prefixedReasons = new WeakMap<readonly AnyReason[], Map<AnyReason, readonly AnyReason[]>>();

/** `[reason, ...reasons]`, one frozen list per frozen `reasons` and `reason`. */
function reasonsWith(reason: AnyReason, reasons: readonly AnyReason[]): readonly AnyReason[] {
  if (!Object.isFrozen(reasons)) return [reason, ...reasons];
  let byReason = prefixedReasons.get(reasons);
  if (!byReason) prefixedReasons.set(reasons, (byReason = new Map<AnyReason, readonly AnyReason[]>()));
  let list = byReason.get(reason);
  if (!list) byReason.set(reason, (list = Object.freeze([reason, ...reasons])));
  return list;
}

const tagUnions = new WeakMap<readonly DeviceTag[], WeakMap<readonly DeviceTag[], readonly DeviceTag[]>>();

/** The certificate's tags followed by those the directory gave that it lacks; one frozen list per frozen pair. */
function tagsWith(
  fromCertificate: readonly DeviceTag[],
  fromDirectory: readonly DeviceTag[] = [],
): readonly DeviceTag[] {
  if (fromDirectory.length === 0) return fromCertificate;
  const shared = Object.isFrozen(fromCertificate) && Object.isFrozen(fromDirectory);
  let byDirectory = shared ? tagUnions.get(fromCertificate) : undefined;
  let tags = byDirectory?.get(fromDirectory);
  if (tags) return tags;
  const earned = fromDirectory.filter((tag) => !fromCertificate.includes(tag));
  tags = earned.length > 0 ? [...fromCertificate, ...earned] : fromCertificate;
  if (shared) {
    if (!byDirectory) tagUnions.set(fromCertificate, (byDirectory = new WeakMap()));
    byDirectory.set(fromDirectory, (tags = Object.isFrozen(tags) ? tags : Object.freeze(tags)));
  }
  return tags;
}

/**
 * Puts the access policies' verdict (or the baseline's) on top of the certificate decision. Input
 * errors and malfunctions (rejected intake, decision-unavailable) stand as they are, as does the
 * certificate decision when there is no verdict (`policy` undefined: the certificate rule).
 * When the baseline "a valid client certificate is required" decided, the certificate's reasons
 * are the whole answer and stand unchanged (with the policy trace attached); otherwise the
 * verdict's reason comes first and the certificate's outcome follows, so the failing check is
 * still named. Device tags the directory gave, the directory trace and the app are added.
 */
export function applyPolicyDecision(
  certificate: Decision,
  policy: PolicyDecision | undefined,
  directory: {
    readonly deviceTags?: readonly DeviceTag[];
    readonly trace?: DirectoryTrace;
    readonly app?: AppResolution;
  } = {},
): Decision {
  const [outcome] = certificate.reasons;
  if (!policy || outcome === 'forwarded-certificate-rejected' || outcome === 'decision-unavailable')
    return directory.app ? { ...certificate, app: directory.app } : certificate;
  const { reason, decidedBy, alerts, policies } = policy;
  const certificateRule = CERTIFICATE_BASELINE.has(reason);
  const failedCheck =
    certificate.effect === 'block'
      ? (certificate.failedCheck ?? 'policy')
      : reason.startsWith('baseline-')
        ? 'baseline'
        : 'policy';
  const blocked = policy.effect === 'block' || (certificateRule && certificate.effect === 'block');
  // Every field written out (the type makes forgetting one an error): a spread of the certificate
  // decision followed by overrides is slow in V8.
  const decision: { readonly [K in keyof Required<Decision>]: Decision[K] | undefined } = {
    correlationId: certificate.correlationId,
    decidedAt: certificate.decidedAt,
    gatewayVerification: certificate.gatewayVerification,
    certificate: certificate.certificate,
    pathThumbprints: certificate.pathThumbprints,
    unknownDeviceTags: certificate.unknownDeviceTags,
    trace: certificate.trace,
    // Under the certificate baseline the effect is the certificate's: a tag the engine saw unknown is no tag.
    effect: certificateRule
      ? certificate.effect === 'allow' && policy.effect === 'allow'
        ? 'allow'
        : 'block'
      : policy.effect,
    reasons: certificateRule ? certificate.reasons : reasonsWith(reason, certificate.reasons),
    failedCheck: blocked ? failedCheck : undefined,
    deviceTags: tagsWith(certificate.deviceTags, directory.deviceTags),
    policy: { reason, decidedBy, alerts, policies },
    blockMessage: policy.blockMessage,
    directory: directory.trace,
    app: directory.app,
  };
  return decision as Decision;
}

/** Inputs of {@link decideCertificateAccess}. */
export interface CertificateDecisionInput {
  readonly intake: IntakeResult;
  /** Present when intake found a certificate and validation ran. */
  readonly validation?: ValidationResult;
  readonly correlationId: string;
  readonly now: Date;
}

/** The decision when certgate cannot decide (config invalid, store down): block, fail closed. */
export function unavailableDecision(correlationId: string, now: Date, failedCheck: string): Decision {
  return {
    correlationId,
    decidedAt: now.toISOString(),
    effect: 'block',
    reasons: ['decision-unavailable'],
    failedCheck,
    deviceTags: [],
    trace: [],
  };
}

/**
 * A valid certificate that no binding rule ties to the signed-in user does not earn
 * `valid-client-certificate` for them (a certificate issued to Alice presented by Bob): the
 * decision blocks under the built-in rule, and policies see the device without the tag. When the
 * binding could not be established (the directory did not answer), the tag is unknown: the
 * built-in rule blocks (fail closed) and policies follow their fail mode.
 */
export function applyUserBinding(
  decision: Decision,
  binding: { readonly bound: boolean | 'unknown'; readonly detail: string },
): Decision {
  if (
    binding.bound === true ||
    decision.effect !== 'allow' ||
    !decision.deviceTags.includes('valid-client-certificate')
  )
    return decision;
  const unknown = binding.bound === 'unknown';
  return {
    ...decision,
    effect: 'block',
    reasons: [
      unknown ? 'client-certificate-binding-unknown' : 'client-certificate-not-bound-to-user',
      ...decision.reasons.filter((reason) => reason !== 'client-certificate-valid'),
    ],
    failedCheck: 'user-binding',
    deviceTags: decision.deviceTags.filter((tag) => tag !== 'valid-client-certificate'),
    ...(unknown
      ? { unknownDeviceTags: [...(decision.unknownDeviceTags ?? []), 'valid-client-certificate' as const] }
      : {}),
  };
}

/** What an allow takes from a validation: the same for every request the (cached) validation decides. */
interface ValidFacts {
  /** SHA-256 thumbprints of the CAs on the validated path. */
  readonly pathThumbprints: readonly string[];
  readonly reasons: readonly AnyReason[];
}

const validFactsOf = new WeakMap<ValidationResult, ValidFacts>();

/** The tags a valid certificate earns (frozen: shared by every decision, and sets built from it can be shared). */
const VALID_CERTIFICATE_TAGS: readonly DeviceTag[] = Object.freeze(['valid-client-certificate']);

function validFacts(validation: ValidationResult): ValidFacts {
  let facts = validFactsOf.get(validation);
  if (!facts) {
    facts = Object.freeze({
      pathThumbprints: Object.freeze((validation.path ?? []).slice(1).map((ca) => ca.sha256Thumbprint)),
      reasons: Object.freeze(['client-certificate-valid', validation.reason] as const),
    });
    validFactsOf.set(validation, facts);
  }
  return facts;
}

/**
 * Decides "a valid client certificate is required" for one request. Decisions are built as whole
 * literals, absent fields undefined (JSON drops them): this runs on every request, and conditional
 * object spreads cost about a microsecond each in V8 (bench/profileDecision.ts).
 */
export function decideCertificateAccess(input: CertificateDecisionInput): Decision {
  const correlationId = input.correlationId;
  const decidedAt = input.now.toISOString();
  const { intake, validation } = input;
  if (intake.kind === 'rejected') {
    return {
      correlationId,
      decidedAt,
      effect: 'block',
      reasons: ['forwarded-certificate-rejected', intake.reason],
      failedCheck: 'intake',
      deviceTags: [],
      trace: [],
    };
  }
  const verification = intake.gatewayVerification;
  const gatewayVerification =
    verification && verification.status !== 'not-provided'
      ? `${verification.status}${verification.detail ? `: ${verification.detail}` : ''}`
      : undefined;
  if (intake.kind === 'absent') {
    return {
      correlationId,
      decidedAt,
      gatewayVerification,
      effect: 'block',
      reasons: ['client-certificate-required'],
      failedCheck: 'certificate-presence',
      deviceTags: [],
      trace: [],
    };
  }
  if (!validation) return { ...unavailableDecision(correlationId, input.now, 'trusted-cas'), gatewayVerification };
  if (!validation.ok) {
    const failed = validation.trace.find((entry) => entry.outcome === 'fail');
    return {
      correlationId,
      decidedAt,
      gatewayVerification,
      certificate: validation.leaf,
      effect: 'block',
      reasons: ['client-certificate-invalid', validation.reason],
      failedCheck: failed?.check ?? validation.reason,
      deviceTags: [],
      trace: validation.trace,
    };
  }
  const valid = validFacts(validation);
  return {
    correlationId,
    decidedAt,
    gatewayVerification,
    certificate: validation.leaf,
    pathThumbprints: valid.pathThumbprints,
    effect: 'allow',
    reasons: valid.reasons,
    deviceTags: VALID_CERTIFICATE_TAGS,
    trace: validation.trace,
  };
}
