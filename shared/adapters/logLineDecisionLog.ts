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

const json = JSON.stringify;

/**
 * The JSON of values shared between decisions (a cached validation's certificate summary, the
 * reason and tag lists of a memoised decision), kept with the value: serialised once, not per
 * request. Keyed by identity, so a value that changed would be a new object.
 */
const sharedJson = new WeakMap<object, string>();

function certificateJson(certificate: NonNullable<Decision['certificate']>): string {
  let text = sharedJson.get(certificate);
  if (text === undefined) {
    text = json({ sha256Thumbprint: certificate.sha256Thumbprint, subject: certificate.subject });
    sharedJson.set(certificate, text);
  }
  return text;
}

function listJson(list: readonly string[]): string {
  let text = sharedJson.get(list);
  if (text === undefined) {
    text = json(list);
    if (Object.isFrozen(list)) sharedJson.set(list, text);
  }
  return text;
}

/** Where the directory facts came from, as JSON: once per shared (frozen) directory trace. */
function directoryJson(directory: NonNullable<Decision['directory']>): string {
  let text = sharedJson.get(directory);
  if (text === undefined) {
    text = json({ groups: directory.groups?.source, device: directory.device?.source });
    if (Object.isFrozen(directory)) sharedJson.set(directory, text);
  }
  return text;
}

/**
 * An allow's line as text, byte for byte `JSON.stringify(decisionLineOf(entry))` (the unit test
 * compares them) without building the line object first: the field order of {@link AllowLine}, an
 * undefined field left out, the certificate serialised once per cached validation.
 */
function allowLineText({ decision, client, user }: DecisionRecord): string {
  const { certificate, directory } = decision;
  const decidedBy = decision.policy?.decidedBy;
  let text = `{"event":"certgate.decision","effect":"allow","reasons":${listJson(decision.reasons)}`;
  if (decidedBy !== undefined) text += `,"decidedBy":${json(decidedBy)}`;
  text += `,"deviceTags":${listJson(decision.deviceTags)}`;
  if (certificate) text += `,"certificate":${certificateJson(certificate)}`;
  if (directory) text += `,"directory":${directoryJson(directory)}`;
  text += `,"correlationId":${json(decision.correlationId)},"decidedAt":${json(decision.decidedAt)}`;
  text += `,"client":${json(client)}`;
  if (user !== undefined) text += `,"user":${json(user)}`;
  return `${text}}`;
}

/** {@link DecisionLog} as JSON lines: allows at information level, blocks at warning level. */
export class LogLineDecisionLog implements InvocationScoped<DecisionLog> {
  constructor(private readonly lines: LogWriter) {}

  record(entry: DecisionRecord): void {
    if (entry.decision.effect === 'allow') this.lines.log(allowLineText(entry));
    else this.lines.warn(json(decisionLineOf(entry)));
  }

  forInvocation(log: LogWriter): DecisionLog {
    return new LogLineDecisionLog(log);
  }
}
