/**
 * The decision pipeline, in one place and one order, for `authorize`, what-if and (later) the
 * gate: an access attempt (what intake read, the client context, who is asking) becomes a
 * Decision. The order is fixed and the first stage that cannot go on decides:
 *   1. validate  the forwarded certificate against the trusted CAs, CRLs and OCSP (verdict cache);
 *                the CAs unavailable → `decision-unavailable` (fail closed);
 *   2. identify  the user: a bearer token, or App Service Authentication's principal (only under
 *                the gateway proof, like every forwarded fact);
 *   3. certificate rule: a valid client certificate is required (intake and validation reasons);
 *   4. bind      a valid certificate to the signed-in user (Entra CBA's rules; a device certificate
 *                to its device); the directory unavailable → binding unknown;
 *   5. decide    the registered app, then its access policies with the directory facts they need,
 *                or the baseline; the store unavailable → `decision-unavailable`;
 *   6. record    the decision in the decision log (not for what-if) and raise the alerts it asks
 *                for (an untrusted forwarder, the deciding policies' alerts), so every entry point
 *                (authorize, the gate) reports the same way.
 * Malfunctions are reported through `report` and never thrown: every attempt gets a decision.
 * May import: the pipeline stages (accessPipeline), the decision core, intake types, ports (types), the alert
 * subject and the watch records (types), identity (types), telemetry.
 */
import {
  bindLeafToUser,
  evaluatePolicies,
  identifyUser,
  validateClientCertificate,
  type PolicyInput,
  type UserIdentity,
} from '../accessPipeline.js';
import type { ClientContext, IntakeResult } from '../cert/intake/index.js';
import type { Principal } from '../identity/index.js';
import type { ValidationResult } from '../cert/validation/index.js';
import type { Services } from '../composition.js';
import {
  applyPolicyDecision,
  applyUserBinding,
  decideCertificateAccess,
  unavailableDecision,
  type Decision,
} from '../policy/certificateDecision.js';
import type { AlertSink, AlertSubject, DecisionLog } from '../ports.js';
import { messageOf } from '../errors.js';
import type { SessionControls } from '../session/sessionPolicies.js';
import { recordDecision, telemetryOn, traced, type DecisionLabels } from '../telemetry/telemetry.js';
import { alertSubjectOf, seenCertificateOf } from '../alerts/alertSubject.js';
import type { RecentCertificates } from '../alerts/watchRecords.js';

/** Reads request headers (a WHATWG Headers object, or anything with `get`). */
export interface HeaderReader {
  get(name: string): string | null;
}

/** A user stated outright (what-if), instead of read from the request. */
export interface StatedUser {
  readonly id?: string;
  readonly upn?: string;
  readonly groups?: readonly string[];
}

/** One attempt to reach an app, translated from transport at the edge. */
export interface AccessAttempt {
  readonly intake: IntakeResult;
  readonly client: ClientContext;
  /** An app id the proven gateway named (hints enabled for it), or the admin asking what-if. */
  readonly appHint?: string;
  /** Where the user comes from: the request's headers (token, App Service principal), or a stated user. */
  readonly identity: { readonly headers: HeaderReader } | { readonly user?: StatedUser };
  readonly correlationId: string;
  readonly now: Date;
  /** The immediate peer's address (for the untrusted-forwarder alert). */
  readonly peerAddress?: string;
  /** Validate without the verdict cache (what-if at another time). */
  readonly fresh?: boolean;
}

/** Where the pipeline reports malfunctions (log lines) and alert-worthy events (the alert port). */
export interface PipelineReport {
  readonly alerts: AlertSink;
  /** Where the decision is recorded; absent for hypothetical decisions (what-if). */
  readonly decisionLog?: DecisionLog;
  error(line: string): void;
}

/** The decision, with who asked as the log should name them. */
export interface AccessOutcome {
  readonly decision: Decision;
  /** The signed-in user's UPN, or why a bearer token was not accepted. */
  readonly user?: string;
  /** The identified user's UPN (a valid token, App Service's principal, or the stated user), for the gate's headers. */
  readonly upn?: string;
  /** The identified user's Entra object id (the decision log records it). */
  readonly userId?: string | undefined;
  /**
   * For an allowed decision: the session policies considered and the controls in force (the gate
   * checks requests and responses against them, forward auth the request). Absent when no session
   * policy is configured or the decision is a block.
   */
  readonly session?: SessionControls;
}

async function identify(
  services: Services,
  attempt: AccessAttempt,
): Promise<UserIdentity & { readonly stated?: StatedUser }> {
  if ('headers' in attempt.identity)
    return identifyUser(services, attempt.identity.headers, attempt.now, {
      forwardedTrusted: attempt.client.proven === true,
    });
  return attempt.identity.user ? { stated: attempt.identity.user } : {};
}

/** A decision's metric labels (low cardinality: no user, no correlation id). */
function decisionLabels(decision: Decision): DecisionLabels {
  const app = decision.app?.status === 'registered' ? decision.app.id : (decision.app?.status ?? 'none');
  return { effect: decision.effect, reason: decision.reasons[0] ?? 'none', app };
}

function decisionAttributes(decision: Decision): Record<string, string> {
  const labels = decisionLabels(decision);
  return {
    'certgate.effect': labels.effect,
    'certgate.reason': labels.reason,
    'certgate.app': labels.app,
    ...(decision.policy?.decidedBy ? { 'certgate.policy': decision.policy.decidedBy } : {}),
  };
}

/** Decides one access attempt (see the module comment for the order). Never throws. */
export async function decideAccess(
  services: Services,
  attempt: AccessAttempt,
  report: PipelineReport,
): Promise<AccessOutcome> {
  const { intake, client, correlationId } = attempt;
  void services.directoryChanges.maybeFollow();
  if (intake.kind === 'rejected' && intake.reason === 'forwarded-certificate-untrusted-forwarder') {
    report.alerts.raise({
      event: 'certgate.alert.untrusted-forwarder',
      correlationId,
      detail: intake.detail,
      remoteAddress: attempt.peerAddress,
      client,
    });
  }
  const started = telemetryOn() ? performance.now() : 0;
  const outcome = telemetryOn()
    ? await traced('certgate.decide', { 'certgate.correlation_id': correlationId }, async (span) => {
        const decided = await decide(services, attempt, report);
        span?.setAttributes(decisionAttributes(decided.decision));
        return decided;
      })
    : await decide(services, attempt, report);
  const { decision, user, userId } = outcome;
  if (started !== 0) recordDecision(decisionLabels(decision), performance.now() - started);
  report.decisionLog?.record({ decision, client, user, userId });
  // The alert subject and the watch's record are built only when used: policy alerts to raise, or a
  // validated leaf this worker has not noted in the last minute with the same user, app and address.
  let subject: AlertSubject | undefined;
  if (report.decisionLog && noteDue(services.alerting.recentCertificates, decision, client, user, attempt.now)) {
    subject = alertSubjectOf(decision, client, user);
    const seen = seenCertificateOf(decision, subject, attempt.now);
    if (seen) services.alerting.recentCertificates.note(seen);
  }
  const alerts = decision.policy?.alerts;
  if (alerts === undefined || alerts.length === 0) return outcome;
  subject ??= alertSubjectOf(decision, client, user);
  for (const alert of alerts) {
    report.alerts.raise({
      event: 'certgate.alert.policy',
      correlationId,
      subject,
      policyId: alert.policyId,
      severity: alert.severity,
      effect: decision.effect,
      client,
    });
  }
  return outcome;
}

/** Whether the decision's validated leaf should be noted for the expiry watch now (see {@link RecentCertificates}). */
function noteDue(
  recent: RecentCertificates,
  decision: Decision,
  client: ClientContext,
  user: string | undefined,
  now: Date,
): boolean {
  const certificate = decision.certificate;
  if (!certificate || !decision.pathThumbprints || decision.pathThumbprints.length === 0) return false;
  const app = decision.app?.status === 'registered' ? decision.app.id : undefined;
  return !recent.notedRecently(certificate.sha256Thumbprint, now.getTime(), user, app, client.clientIp);
}

/** The user as the policies see it, built once per principal (a verified token's principal is cached with it). */
const policyUsers = new WeakMap<Principal, NonNullable<PolicyInput['user']>>();

function policyUserOf(principal: Principal): NonNullable<PolicyInput['user']> {
  let user = policyUsers.get(principal);
  if (user === undefined) {
    user = {
      id: principal.objectId,
      ...(principal.upn ? { upn: principal.upn } : {}),
      ...(principal.groups ? { groups: principal.groups } : {}),
    };
    policyUsers.set(principal, user);
  }
  return user;
}

/** Who asked, as the outcome names them (see {@link AccessOutcome}); absent fields undefined, not spread. */
interface Asker {
  readonly user: string | undefined;
  readonly upn: string | undefined;
  readonly userId: string | undefined;
}

function outcomeOf(decision: Decision, asker: Asker, session?: SessionControls): AccessOutcome {
  return { decision, user: asker.user, upn: asker.upn, userId: asker.userId, session };
}

function validate(
  services: Services,
  attempt: AccessAttempt,
  intake: Extract<IntakeResult, { kind: 'present' }>,
  alerts: AlertSink,
): Promise<ValidationResult> {
  const input = {
    leaf: intake.leaf,
    chain: intake.chain,
    now: attempt.now,
    correlationId: attempt.correlationId,
    fresh: attempt.fresh === true ? true : undefined,
    alerts,
  };
  // No span (and no closure) unless telemetry is on: this runs per request.
  return telemetryOn()
    ? traced('certgate.validate', {}, () => validateClientCertificate(services, input))
    : validateClientCertificate(services, input);
}

// Decisions and outcomes are built as literals with undefined for what is absent (no conditional
// spreads, no closures): this runs per request (bench/profileDecision.ts).
async function decide(services: Services, attempt: AccessAttempt, report: PipelineReport): Promise<AccessOutcome> {
  const { intake, correlationId, now } = attempt;
  let validation: ValidationResult | undefined;
  if (intake.kind === 'present') {
    try {
      validation = await validate(services, attempt, intake, report.alerts);
    } catch (error) {
      report.error(`decide: trusted CAs unavailable, failing closed: ${messageOf(error)}`);
    }
  }
  let user: UserIdentity & { readonly stated?: StatedUser };
  try {
    user = await identify(services, attempt);
  } catch (error) {
    report.error(`decide: user identification failed, treated as no user: ${messageOf(error)}`);
    user = {};
  }
  const principal = user.principal;
  const upn = principal?.upn ?? user.stated?.upn;
  const asker: Asker = {
    user: upn ?? (user.tokenReason ? `unauthenticated (${user.tokenReason})` : undefined),
    upn,
    userId: principal?.objectId ?? user.stated?.id,
  };

  let certificateDecision = decideCertificateAccess({ intake, validation, correlationId, now });
  if (principal && intake.kind === 'present' && certificateDecision.effect === 'allow') {
    try {
      certificateDecision = applyUserBinding(
        certificateDecision,
        await bindLeafToUser(services, intake.leaf, validation, principal),
      );
    } catch (error) {
      report.error(`decide: user binding unavailable, failing closed: ${messageOf(error)}`);
      return outcomeOf(unavailableDecision(correlationId, now, 'user-binding'), asker);
    }
  }
  try {
    const outcome = await evaluatePolicies(
      services,
      {
        appHint: attempt.appHint,
        client: attempt.client,
        at: now,
        user: principal ? policyUserOf(principal) : user.stated,
      },
      certificateDecision,
    );
    const decided = applyPolicyDecision(certificateDecision, outcome.policy, {
      deviceTags: outcome.deviceTags,
      trace: outcome.directory,
      app: outcome.app,
    });
    // Session controls only for what is finally allowed (the certificate rule may still block).
    return outcomeOf(decided, asker, decided.effect === 'allow' ? outcome.session : undefined);
  } catch (error) {
    report.error(`decide: access policies unavailable, failing closed: ${messageOf(error)}`);
    return outcomeOf(unavailableDecision(correlationId, now, 'policies'), asker);
  }
}
