/**
 * Explain a logged decision: what was checked, in the order the pipeline checks it, and which
 * check decided. The order is decideAccess's: the gateway proof and the forwarded certificate
 * (intake), the certificate's validation trace (each check per certificate), the binding of the
 * certificate to the signed-in user, the registered app, every access policy in priority order
 * with its conditions, then the baseline when no enforced policy decided. The step that made a
 * block is marked `decisive`; for an allow the deciding step is marked the same way. The same
 * steps are rendered as text (the CLI and `Accept: text/plain`) and returned as JSON.
 * Pure: no I/O.
 * May import: the logged decision shape.
 */
import type { CompactPolicyOutcome, CompactTraceEntry, LoggedDecisionDetail } from './loggedDecision.js';

/** One step of an explanation. */
export interface ExplainStep {
  readonly stage: 'intake' | 'validation' | 'binding' | 'app' | 'policy' | 'baseline' | 'outcome';
  /** What was checked: a validation check on a certificate, a policy id, … */
  readonly check: string;
  readonly outcome: string;
  readonly detail?: string;
  /** The step that decided the outcome (the failing check of a block). */
  readonly decisive?: true;
  /** Per-condition results, for a policy step. */
  readonly conditions?: readonly { readonly condition: string; readonly result: string; readonly detail: string }[];
}

/** An explanation: the steps in order, the decisive one's index, and the same as text. */
export interface Explanation {
  readonly steps: readonly ExplainStep[];
  /** Index in `steps` of the decisive step, or -1 when none could be named. */
  readonly decisiveStep: number;
  readonly text: string;
}

const INTAKE_CHECKS = new Set(['intake', 'certificate-presence']);

function validationSteps(trace: readonly CompactTraceEntry[], failedCheck: string | undefined): ExplainStep[] {
  let marked = false;
  return trace.map(([check, certificate, outcome, reason, detail, rule]) => {
    const decisive = !marked && outcome === 'fail' && failedCheck === check;
    if (decisive) marked = true;
    const text = [reason, detail, rule ? `rule: ${rule}` : undefined].filter((part) => part).join('; ');
    return {
      stage: 'validation',
      check: `${check} (${certificate})`,
      outcome,
      ...(text ? { detail: text } : {}),
      ...(decisive ? { decisive: true as const } : {}),
    };
  });
}

function policyStep(policy: CompactPolicyOutcome, decidedBy: string | undefined): ExplainStep {
  const [id, state, action, outcome, conditions] = policy;
  const enforced = state === 'enabled';
  return {
    stage: 'policy',
    check: `policy ${id} (${action}, ${state})`,
    outcome,
    ...(state === 'report-only' && outcome === 'applies'
      ? { detail: `report-only: would have ${action === 'block' ? 'blocked' : 'allowed'}; did not change the effect` }
      : {}),
    ...(enforced && id === decidedBy ? { decisive: true as const } : {}),
    conditions: conditions.map(([condition, result, detail]) => ({ condition, result, detail })),
  };
}

/** The explanation of one logged decision. */
export function explainDecision(entry: LoggedDecisionDetail): Explanation {
  const steps: ExplainStep[] = [];
  const details = entry.details.ok ? entry.details.value : undefined;
  const failed = entry.failedCheck;
  const [outcomeReason, detailReason] = entry.reasons;

  const proven = details?.client.proven;
  steps.push({
    stage: 'intake',
    check: 'gateway proof',
    outcome: proven === undefined ? 'not recorded' : proven ? 'pass' : 'not proven',
    detail:
      proven === false
        ? `forwarded facts were ignored${details?.client.dropped?.length ? `: ${details.client.dropped.join(', ')}` : ''}`
        : `client ${entry.clientIp ?? 'unknown'}`,
  });
  const intakeFailed = failed !== undefined && INTAKE_CHECKS.has(failed);
  const intakeDetail =
    outcomeReason === 'forwarded-certificate-rejected'
      ? `the forwarded certificate header was refused: ${detailReason ?? 'unknown reason'}`
      : outcomeReason === 'client-certificate-required' ||
          (entry.reasons.includes('client-certificate-required') && !entry.certificateThumbprint)
        ? 'no client certificate was presented'
        : entry.certificateThumbprint
          ? `certificate ${entry.certificateThumbprint}${details?.certificate ? ` (${details.certificate.subject})` : ''}`
          : 'no certificate';
  steps.push({
    stage: 'intake',
    check: 'client certificate',
    outcome: intakeFailed ? 'fail' : entry.certificateThumbprint ? 'present' : 'absent',
    detail: `${intakeDetail}${details?.gatewayVerification ? `; gateway verification: ${details.gatewayVerification}` : ''}`,
    ...(intakeFailed ? { decisive: true as const } : {}),
  });

  if (entry.trace.ok) steps.push(...validationSteps(entry.trace.value, failed));
  else
    steps.push({ stage: 'validation', check: 'validation trace', outcome: 'truncated', detail: entry.trace.truncated });
  if (failed === 'trusted-cas')
    steps.push({ stage: 'validation', check: 'trusted CAs', outcome: 'unavailable', decisive: true });

  if (entry.user !== undefined || failed === 'user-binding') {
    const bindingFailed = failed === 'user-binding';
    steps.push({
      stage: 'binding',
      check: 'certificate bound to the signed-in user',
      outcome: bindingFailed ? 'fail' : entry.certificateThumbprint ? 'pass' : 'not applicable',
      detail: `user ${entry.user ?? 'none'}${entry.userId ? ` (${entry.userId})` : ''}${bindingFailed ? `: ${outcomeReason ?? ''}` : ''}`,
      ...(bindingFailed ? { decisive: true as const } : {}),
    });
  }

  const app = details?.app;
  steps.push({
    stage: 'app',
    check: 'registered app',
    outcome: app ? (app.status === 'registered' ? app.id : 'app-unregistered') : (entry.app ?? 'not resolved'),
    ...(app ? { detail: app.detail } : {}),
  });

  if (entry.policies.ok) for (const policy of entry.policies.value) steps.push(policyStep(policy, entry.decidedBy));
  else
    steps.push({ stage: 'policy', check: 'access policies', outcome: 'truncated', detail: entry.policies.truncated });
  if (failed === 'policies')
    steps.push({ stage: 'policy', check: 'access policies', outcome: 'unavailable', decisive: true });

  if (entry.policyReason?.startsWith('baseline-')) {
    const baselineDecides = entry.decision === 'allow' ? !steps.some((step) => step.decisive) : failed === 'baseline';
    steps.push({
      stage: 'baseline',
      check: 'baseline (no enforced policy decided)',
      outcome: entry.policyReason,
      ...(baselineDecides ? { decisive: true as const } : {}),
    });
  }

  let decisiveStep = steps.findIndex((step) => step.decisive);
  if (decisiveStep < 0 && entry.decision === 'block') {
    // A block the trace does not pin on one step (e.g. a failed check with no trace entry): say which.
    steps.push({ stage: 'outcome', check: failed ?? 'decision', outcome: 'fail', decisive: true });
    decisiveStep = steps.length - 1;
  }
  steps.push({
    stage: 'outcome',
    check: 'decision',
    outcome: entry.decision,
    detail: `${entry.reasons.join(', ')}${entry.decidedBy ? `; decided by policy ${entry.decidedBy}` : ''}`,
  });
  return { steps, decisiveStep, text: renderText(entry, steps) };
}

function renderText(entry: LoggedDecisionDetail, steps: readonly ExplainStep[]): string {
  const lines = [
    `Decision ${entry.correlationId} at ${entry.at}: ${entry.decision.toUpperCase()} (${entry.reasons.join(', ')})`,
    `  app ${entry.app ?? '(unregistered)'} · user ${entry.user ?? '(none)'}${entry.userId ? ` (${entry.userId})` : ''} · device ${entry.certificateThumbprint ?? '(no certificate)'}${entry.deviceId ? ` / Entra device ${entry.deviceId}` : ''} · client ${entry.clientIp ?? '(unknown)'}`,
    '',
    'What was checked, in order:',
  ];
  steps.forEach((step, index) => {
    const mark = step.decisive ? (entry.decision === 'block' ? '  ✗ FAILED HERE' : '  ✓ DECIDED HERE') : '';
    lines.push(`${String(index + 1).padStart(3)}. [${step.stage}] ${step.check}: ${step.outcome}${mark}`);
    if (step.detail) lines.push(`       ${step.detail}`);
    for (const condition of step.conditions ?? [])
      lines.push(
        `       - ${condition.condition}: ${condition.result}${condition.detail ? ` (${condition.detail})` : ''}`,
      );
  });
  if (entry.reportOnlyChanges.length > 0)
    lines.push('', `Report-only policies that would have changed this decision: ${entry.reportOnlyChanges.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
