/**
 * Runs the Conditional Access posture report: reads certgate's policy configuration and every
 * page of the tenant's Conditional Access policies, analyses them (the pure
 * `analyseConditionalAccessPosture`), saves the result as the latest report and returns it.
 * Graph turned off → a `graph-disabled` report; Graph answering with an error → a `failed`
 * report recording the error's kind and message, which is returned and saved, unless the latest
 * saved report is complete: that one stays (a passing Graph outage must not hide the last known
 * gaps), marked with `lastFailedRun`. A policy store or report store failure is a malfunction
 * and rejects with its `StoreError`; so does anything from the directory that is not a
 * `DirectoryError` (a bug, not an answer).
 * May import: ports, the posture core, the policy model types.
 */
import {
  analyseConditionalAccessPosture,
  unassessedPostureReport,
  type PostureReport,
} from './policy/conditionalAccessPosture.js';
import type { PolicyConfiguration } from './policy/model.js';
import { DirectoryError, type Clock, type Directory, type PostureReportStore } from './ports.js';

/** What {@link runPostureReport} needs; `PolicyCache` is a `policies` source. */
export interface PostureReportDependencies {
  /** Microsoft Graph; undefined when certgate runs without it (CERTGATE_GRAPH_ENABLED=false). */
  readonly directory: Directory | undefined;
  readonly policies: { get(): Promise<{ readonly configuration: PolicyConfiguration }> };
  readonly store: PostureReportStore<PostureReport>;
  readonly clock: Clock;
}

/** Reads, analyses and saves one posture report; returns what was saved. */
export async function runPostureReport(dependencies: PostureReportDependencies): Promise<PostureReport> {
  const { directory, policies, store, clock } = dependencies;
  const { configuration } = await policies.get();
  let report: PostureReport;
  if (!directory) {
    report = unassessedPostureReport({
      configuration,
      generatedAt: clock.now(),
      outcome: { status: 'graph-disabled' },
    });
  } else {
    try {
      const caPolicies = await directory.listConditionalAccessPolicies();
      report = analyseConditionalAccessPosture({ caPolicies, configuration, generatedAt: clock.now() });
    } catch (error) {
      if (!(error instanceof DirectoryError)) throw error;
      const recorded = {
        kind: error.kind,
        message: error.message,
        ...(error.status === undefined ? {} : { status: error.status }),
        ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }),
      };
      report = unassessedPostureReport({
        configuration,
        generatedAt: clock.now(),
        outcome: { status: 'failed', error: recorded },
      });
      const previous = await store.latest();
      if (previous?.summary.status === 'complete') {
        await store.save({ ...previous, lastFailedRun: { at: report.summary.generatedAt, error: recorded } });
        return report;
      }
    }
  }
  await store.save(report);
  return report;
}
