/**
 * A report-only policy's impact, from the per-policy outcomes the decision log recorded: of the
 * requests the policy applied to in a time range, how many (and how many distinct users and
 * devices) it would have blocked or allowed had it been enforced, the users and apps most
 * affected, and sample correlation ids to explain. Complete for what the policy would have
 * changed (the log records every such decision) and for blocks; the requests it applied to without
 * changing their allow are as complete as allow sampling (CERTGATE_DECISION_LOG_ALLOWS) leaves them.
 * Pure: no I/O.
 * May import: nothing.
 */

/** One decision the policy applied to (or could not be ruled out for), as the log's policy index keeps it. */
export interface PolicyOutcomeRow {
  readonly at: string;
  readonly correlationId: string;
  readonly app?: string;
  readonly user?: string;
  readonly userId?: string;
  readonly certificateThumbprint?: string;
  readonly deviceId?: string;
  /** The effect that was enforced. */
  readonly decision: 'allow' | 'block';
  /** The policy's outcome for the request. */
  readonly outcome: 'applies' | 'unknown';
  /** The policy's action at the time. */
  readonly action: 'allow' | 'block' | 'monitor';
  /** Whether enforcing the policy would have changed the effect. */
  readonly wouldChange: boolean;
}

/** Counts of requests and of the distinct users and devices behind them. */
export interface ImpactCounts {
  readonly requests: number;
  readonly users: number;
  readonly devices: number;
}

/** A policy's impact over a time range. */
export interface PolicyImpact {
  readonly policyId: string;
  readonly from: string;
  readonly to: string;
  /** Requests the policy applied to. */
  readonly applied: ImpactCounts;
  /** Requests it could not be ruled out for (data it needs was missing): enforced, its fail mode would decide. */
  readonly unknown: ImpactCounts;
  /** Of the requests it applied to, those it would have blocked (they were allowed). */
  readonly wouldBlock: ImpactCounts;
  /** Of the requests it applied to, those it would have allowed (the baseline blocked them). */
  readonly wouldAllow: ImpactCounts;
  /** The users most affected (would-change requests), most first. */
  readonly topUsers: readonly { readonly user: string; readonly requests: number }[];
  /** The apps most affected, most first. */
  readonly topApps: readonly { readonly app: string; readonly requests: number }[];
  /** Correlation ids of the newest affected requests (`GET /api/manage/decisions/{id}` explains each). */
  readonly samples: readonly string[];
  /** Whether the scan stopped at its row limit before the start of the range (counts are then partial). */
  readonly truncated: boolean;
}

const TOP = 10;
const SAMPLES = 10;

class Tally {
  requests = 0;
  readonly users = new Set<string>();
  readonly devices = new Set<string>();
  add(row: PolicyOutcomeRow): void {
    this.requests++;
    const user = row.userId ?? row.user?.toLowerCase();
    if (user !== undefined) this.users.add(user);
    const device = row.deviceId ?? row.certificateThumbprint;
    if (device !== undefined) this.devices.add(device);
  }
  counts(): ImpactCounts {
    return { requests: this.requests, users: this.users.size, devices: this.devices.size };
  }
}

function top(counts: Map<string, number>): [string, number][] {
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, TOP);
}

/**
 * Aggregates the rows (newest first, as the index returns them) into the impact report. What
 * counts as affected: the would-change requests when there are any; otherwise every request
 * the policy applied to, so a policy that changes nothing still shows whom it matches.
 */
export function aggregateImpact(
  policyId: string,
  range: { readonly from: Date; readonly to: Date },
  rows: Iterable<PolicyOutcomeRow>,
  truncated: boolean,
): PolicyImpact {
  const applied = new Tally();
  const unknown = new Tally();
  const wouldBlock = new Tally();
  const wouldAllow = new Tally();
  const changedUsers = new Map<string, number>();
  const changedApps = new Map<string, number>();
  const appliedUsers = new Map<string, number>();
  const appliedApps = new Map<string, number>();
  const changedSamples: string[] = [];
  const appliedSamples: string[] = [];
  const bump = (map: Map<string, number>, key: string | undefined) => {
    if (key !== undefined) map.set(key, (map.get(key) ?? 0) + 1);
  };
  for (const row of rows) {
    if (row.outcome === 'unknown') {
      unknown.add(row);
      continue;
    }
    applied.add(row);
    const user = row.user ?? row.userId;
    bump(appliedUsers, user);
    bump(appliedApps, row.app ?? '(unregistered)');
    if (appliedSamples.length < SAMPLES) appliedSamples.push(row.correlationId);
    if (!row.wouldChange) continue;
    (row.action === 'block' ? wouldBlock : wouldAllow).add(row);
    bump(changedUsers, user);
    bump(changedApps, row.app ?? '(unregistered)');
    if (changedSamples.length < SAMPLES) changedSamples.push(row.correlationId);
  }
  const changed = changedSamples.length > 0;
  return {
    policyId,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    applied: applied.counts(),
    unknown: unknown.counts(),
    wouldBlock: wouldBlock.counts(),
    wouldAllow: wouldAllow.counts(),
    topUsers: top(changed ? changedUsers : appliedUsers).map(([user, requests]) => ({ user, requests })),
    topApps: top(changed ? changedApps : appliedApps).map(([app, requests]) => ({ app, requests })),
    samples: changed ? changedSamples : appliedSamples,
    truncated,
  };
}
