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
 * May import: the pipeline stages (accessPipeline), the decision core, intake types, ports (types).
 */
import {
  bindLeafToUser,
  evaluatePolicies,
  identifyUser,
  validateClientCertificate,
  type UserIdentity,
} from '../accessPipeline.js';
import type { ClientContext, IntakeResult } from '../cert/intake/index.js';
import type { ValidationResult } from '../cert/validation/index.js';
import type { Services } from '../composition.js';
import {
  applyPolicyDecision,
  applyUserBinding,
  decideCertificateAccess,
  unavailableDecision,
  type Decision,
} from '../policy/certificateDecision.js';
import type { AlertSink, DecisionLog } from '../ports.js';
import { messageOf } from '../errors.js';
import type { SessionControls } from '../session/sessionPolicies.js';
import { recordDecision, telemetryOn, traced, type DecisionLabels } from '../telemetry/telemetry.js';
import { alertSubjectOf, seenCertificateOf } from '../alerts/alertSubject.js';

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
  services.directoryChanges.maybeFollow();
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
  const subject = alertSubjectOf(decision, client, user);
  const seen = seenCertificateOf(decision, subject, attempt.now);
  if (seen && report.decisionLog) services.alerting.recentCertificates.note(seen);
  for (const alert of decision.policy?.alerts ?? []) {
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

async function decide(services: Services, attempt: AccessAttempt, report: PipelineReport): Promise<AccessOutcome> {
  const { intake, correlationId, now } = attempt;
  let validation: ValidationResult | undefined;
  if (intake.kind === 'present') {
    try {
      validation = await traced('certgate.validate', {}, () =>
        validateClientCertificate(services, {
          leaf: intake.leaf,
          chain: intake.chain,
          now,
          correlationId,
          ...(attempt.fresh ? { fresh: true } : {}),
          alerts: report.alerts,
        }),
      );
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
  const userText =
    user.principal?.upn ?? user.stated?.upn ?? (user.tokenReason ? `unauthenticated (${user.tokenReason})` : undefined);
  const upn = user.principal?.upn ?? user.stated?.upn;
  const userId = user.principal?.objectId ?? user.stated?.id;
  const withUser = (decision: Decision): AccessOutcome =>
    userText !== undefined
      ? { decision, user: userText, ...(upn !== undefined ? { upn } : {}), userId }
      : { decision, userId };

  let certificateDecision = decideCertificateAccess({
    intake,
    ...(validation ? { validation } : {}),
    correlationId,
    now,
  });
  if (user.principal && intake.kind === 'present' && certificateDecision.effect === 'allow') {
    try {
      certificateDecision = applyUserBinding(
        certificateDecision,
        await bindLeafToUser(services, intake.leaf, validation, user.principal),
      );
    } catch (error) {
      report.error(`decide: user binding unavailable, failing closed: ${messageOf(error)}`);
      return withUser(unavailableDecision(correlationId, now, 'user-binding'));
    }
  }
  try {
    const principal = user.principal;
    const policyUser = principal
      ? {
          id: principal.objectId,
          ...(principal.upn ? { upn: principal.upn } : {}),
          ...(principal.groups ? { groups: principal.groups } : {}),
        }
      : user.stated;
    const outcome = await evaluatePolicies(
      services,
      {
        ...(attempt.appHint !== undefined ? { appHint: attempt.appHint } : {}),
        client: attempt.client,
        ...(policyUser ? { user: policyUser } : {}),
      },
      certificateDecision,
    );
    const decided = applyPolicyDecision(certificateDecision, outcome.policy, {
      deviceTags: outcome.deviceTags,
      ...(outcome.directory ? { trace: outcome.directory } : {}),
      ...(outcome.app ? { app: outcome.app } : {}),
    });
    // Session controls only for what is finally allowed (the certificate rule may still block).
    const session = decided.effect === 'allow' ? outcome.session : undefined;
    return session ? { ...withUser(decided), session } : withUser(decided);
  } catch (error) {
    report.error(`decide: access policies unavailable, failing closed: ${messageOf(error)}`);
    return withUser(unavailableDecision(correlationId, now, 'policies'));
  }
}
