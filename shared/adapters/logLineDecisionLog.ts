/**
 * The decision log as JSON log lines: one `certgate.decision` line per decision, through the
 * invocation's logger (Application Insights traces in Azure). The observability step adds a Table
 * adapter; these lines stay what operators' queries read, so their shape is kept as it was.
 * May import: ports (types), decision types.
 */
import type { ClientContext } from '../cert/intake/clientContext.js';
import type { Decision } from '../policy/certificateDecision.js';
import type { DecisionLog, DecisionRecord, InvocationScoped, LogWriter } from '../ports.js';

/**
 * An allow, the bulk of the traffic: the outcome, the certificate's thumbprint and subject, where the directory facts
 * came from.
 */
interface AllowLine {
  readonly event: 'certgate.decision';
  readonly effect: 'allow';
  readonly reasons: Decision['reasons'];
  readonly decidedBy: string | undefined;
  readonly deviceTags: Decision['deviceTags'];
  readonly certificate: { readonly sha256Thumbprint: string; readonly subject: string } | undefined;
  readonly directory: { readonly groups: string | undefined; readonly device: string | undefined } | undefined;
  readonly correlationId: string;
  readonly decidedAt: string;
  readonly client: ClientContext;
  readonly user: string | undefined;
}

/** A block: the whole decision, with the validation and per-policy traces (what an admin needs to explain it). */
type BlockLine = { readonly event: 'certgate.decision' } & Decision & {
    readonly client: ClientContext;
    readonly user: string | undefined;
  };

/** The line of one decision (an allow is summarised, a block is whole). */
export type DecisionLine = AllowLine | BlockLine;

/** The line a decision log entry is written as. */
export function decisionLineOf({ decision, client, user }: DecisionRecord): DecisionLine {
  if (decision.effect !== 'allow') return { event: 'certgate.decision', ...decision, client, user };
  const { directory, certificate } = decision;
  return {
    event: 'certgate.decision',
    effect: 'allow',
    reasons: decision.reasons,
    decidedBy: decision.policy?.decidedBy,
    deviceTags: decision.deviceTags,
    certificate: certificate
      ? { sha256Thumbprint: certificate.sha256Thumbprint, subject: certificate.subject }
      : undefined,
    directory: directory ? { groups: directory.groups?.source, device: directory.device?.source } : undefined,
    correlationId: decision.correlationId,
    decidedAt: decision.decidedAt,
    client,
    user,
  };
}

/** {@link DecisionLog} as JSON lines: allows at information level, blocks at warning level. */
export class LogLineDecisionLog implements InvocationScoped<DecisionLog> {
  constructor(private readonly lines: LogWriter) {}

  record(entry: DecisionRecord): void {
    const line = JSON.stringify(decisionLineOf(entry));
    if (entry.decision.effect === 'allow') this.lines.log(line);
    else this.lines.warn(line);
  }

  forInvocation(log: LogWriter): DecisionLog {
    return new LogLineDecisionLog(log);
  }
}
