/**
 * What one invocation of a decision-path trigger (authorize, the gate) reports through its logger,
 * as one small object (no closures per request): the decision log for this invocation, its error
 * and info lines, and its alerts, whose per-invocation sink is made only when one is raised (most
 * decisions raise none).
 * May import: @azure/functions types, composition types, ports (types), the pipeline's report type.
 */
import type { InvocationContext } from '@azure/functions';
import type { PipelineReport } from '../access/decideAccess.js';
import type { Services } from '../composition.js';
import type { Alert, AlertSink, DecisionLog } from '../ports.js';

export class InvocationReport implements PipelineReport, AlertSink {
  readonly alerts: AlertSink = this;
  readonly decisionLog: DecisionLog;
  private sink: AlertSink | undefined;

  constructor(
    private readonly services: Services,
    private readonly context: InvocationContext,
  ) {
    this.decisionLog = services.decisionLog.forInvocation(context);
  }

  raise(alert: Alert): void {
    (this.sink ??= this.services.alerts.forInvocation(this.context)).raise(alert);
  }

  error(line: string): void {
    this.context.error(line);
  }

  info(line: string): void {
    this.context.info(line);
  }
}
