/**
 * The Conditional Access posture report: given the tenant's Conditional Access (CA) policies as
 * Microsoft Graph returns them and certgate's own policy configuration, which of the apps certgate
 * protects have their sessions routed through Conditional Access App Control (the reverse-proxy
 * mechanism), by which CA policies, for which users, and where the gaps are. Pure: no I/O, no
 * clock (`generatedAt` is passed in). The rules below are the product's contract with admins and
 * are repeated in docs/posture.md; change both together.
 *
 * Protected apps
 *  - A protected app is an Entra application (client) id, a GUID, that an `enabled` or
 *    `report-only` certgate access policy names in an `include` app matcher
 *    (`conditions.apps.include[].appId` names a registered app; its `entraAppId` is the Entra
 *    application id). Ids are compared case-insensitively and reported in
 *    lower case. Disabled certgate policies and `exclude` matchers name no protected app.
 *  - What cannot be matched to an Entra app is listed under `unidentifiedApps`, per certgate
 *    policy: `all-apps` (the policy has no `apps` condition or `include: "all"`), `no-app-id` (an
 *    include matcher with a host and/or path prefix only), `app-id-not-entra` (an include
 *    matcher naming a registered app without an `entraAppId`).
 *
 * One CA policy
 *  - `state`: Graph's `enabled` / `enabledForReportingButNotEnforced` (→ `report-only`) / `disabled`.
 *  - `coversApps`: the protected apps it applies to: `includeApplications` contains the app id or
 *    `All` (case-insensitive), and `excludeApplications` does not contain the app id. Other
 *    values (`None`, `Office365`, `MicrosoftAdminPortals`, user actions, authentication
 *    contexts) cover no protected app.
 *  - `users.scope`: `all-users` (`includeUsers` has `All`, nothing excluded), `all-users-except`
 *    (`All` with any `excludeUsers` / `excludeGroups`), `no-users` (`includeUsers` has `None` and
 *    no group is included), otherwise `some-users` (listed users, groups, guests, directory roles).
 *  - `appControl`: `sessionControls.cloudAppSecurity.isEnabled` is true (any
 *    `cloudAppSecurityType`, reported as given).
 *  - `appliesToBrowsers`: `clientAppTypes` is absent, empty, or has `all` or `browser`; App
 *    Control proxies browser sessions only.
 *  - `sessionRouting` (what the policy would do if enabled): `appControl`, `appliesToBrowsers`
 *    and a user scope other than `no-users`. `routesSessions`: `sessionRouting` and `enabled`.
 *  - `requiresCompliantDevice` / `requiresHybridJoinedDevice`: `grantControls.builtInControls`
 *    has `compliantDevice` / `domainJoinedDevice` (with `grantOperator` as given: `OR` means
 *    either control suffices).
 *
 * One protected app
 *  - `routedBy`: enabled CA policies with `sessionRouting` that cover it; `reportOnly` and
 *    `disabled`: the same in those states; `withoutSessionControl`: CA policies of any state
 *    that cover it without `sessionRouting` (shown for context: they do not route).
 *  - `coverage` and at most one gap:
 *    - `full`: some policy in `routedBy` targets `all-users`. No gap.
 *    - `partial-users`: `routedBy` is not empty but none targets `all-users` → gap
 *      `app-routed-for-some-users`, severity medium, naming for each routing policy how many
 *      users and groups it excludes or includes. Group membership is not resolved, so two
 *      policies that together reach everyone still show this gap; one policy for all users
 *      closes it.
 *    - `not-enforced`: `routedBy` is empty but `reportOnly` or `disabled` is not → gap
 *      `app-routing-not-enforced`, severity high, naming those policies.
 *    - `none`: no CA policy in any state would route it → gap `app-not-routed`, severity high.
 *    - `unknown`: the CA policies could not be read (report status `failed` or `graph-disabled`);
 *      no gap is claimed either way.
 *
 * Report status: `complete` (every page of CA policies was read), `failed` (Graph answered with
 * an error: its kind and message are recorded, nothing is inferred), `graph-disabled` (certgate is
 * configured without Microsoft Graph).
 *
 * May import: the policy model (types), the ports (types).
 */
import type { ConditionalAccessPolicy, DirectoryErrorKind } from '../ports.js';
import type { PolicyConfiguration } from './model.js';

/** The version of the report document; bumped on any incompatible change to its shape. */
export const POSTURE_REPORT_SCHEMA_VERSION = 1;

/** Gap codes (stable, they are API), each with the sentence an admin reads. */
export const POSTURE_GAP_CODES = {
  'app-not-routed':
    "No Conditional Access policy, in any state, routes this app's sessions through App Control: certgate is not in the path.",
  'app-routing-not-enforced':
    "Only report-only or disabled Conditional Access policies would route this app's sessions: enable one of them.",
  'app-routed-for-some-users':
    "Enabled Conditional Access policies route this app's sessions only for some users: the others bypass certgate.",
} as const;

/** A gap code. */
export type PostureGapCode = keyof typeof POSTURE_GAP_CODES;

/** Severity of a gap. */
export type PostureGapSeverity = 'high' | 'medium';

/** Why a certgate policy's app condition cannot be matched to an Entra app. */
export type UnidentifiedAppReason = 'all-apps' | 'no-app-id' | 'app-id-not-entra';

/** A CA policy's state in certgate's vocabulary. */
export type CaPolicyState = 'enabled' | 'report-only' | 'disabled';

/** Whom a CA policy targets (see the module header for the rules). */
export type CaUserScope = 'all-users' | 'all-users-except' | 'some-users' | 'no-users';

/** A CA policy's user assignment, summarised; the lists hold Graph's values as given. */
export interface CaUserAssignment {
  readonly scope: CaUserScope;
  readonly includeUsers: readonly string[];
  readonly includeGroups: readonly string[];
  readonly excludeUsers: readonly string[];
  readonly excludeGroups: readonly string[];
}

/** One CA policy as the report sees it. */
export interface CaPolicyPosture {
  readonly id: string;
  readonly name: string;
  readonly state: CaPolicyState;
  /** Protected app ids this policy applies to. */
  readonly coversApps: readonly string[];
  readonly users: CaUserAssignment;
  /** Conditional Access App Control is configured (`cloudAppSecurityType` as given). */
  readonly appControl: { readonly enabled: boolean; readonly type?: string };
  readonly appliesToBrowsers: boolean;
  /** Would route sessions if enabled. */
  readonly sessionRouting: boolean;
  /** Routes sessions now (enabled and `sessionRouting`). */
  readonly routesSessions: boolean;
  readonly requiresCompliantDevice: boolean;
  readonly requiresHybridJoinedDevice: boolean;
  readonly grantOperator?: string;
}

/** A routing policy's user assignment, as a gap names it. */
export interface GapUserAssignment {
  readonly policyId: string;
  readonly scope: CaUserScope;
  readonly excludedUsers: number;
  readonly excludedGroups: number;
  readonly includedUsers: number;
  readonly includedGroups: number;
}

/** One gap: an app whose sessions do not (all) go through certgate. */
export interface PostureGap {
  readonly code: PostureGapCode;
  readonly severity: PostureGapSeverity;
  readonly appId: string;
  /** What to look at, for a person (derived from the code and the facts below). */
  readonly message: string;
  /** The CA policies concerned (report-only / disabled ones, or the partial routing ones). */
  readonly caPolicies: readonly string[];
  /** For `app-routed-for-some-users`: each routing policy's user assignment. */
  readonly users?: readonly GapUserAssignment[];
}

/** How well one protected app's sessions are routed. */
export type AppCoverage = 'full' | 'partial-users' | 'not-enforced' | 'none' | 'unknown';

/** One protected app. */
export interface ProtectedAppPosture {
  readonly appId: string;
  /** The certgate policies that name it. */
  readonly certgatePolicies: readonly { readonly id: string; readonly state: 'enabled' | 'report-only' }[];
  readonly coverage: AppCoverage;
  readonly routedBy: readonly string[];
  readonly reportOnly: readonly string[];
  readonly disabled: readonly string[];
  readonly withoutSessionControl: readonly string[];
  readonly gap?: PostureGap;
}

/** An app condition of a certgate policy that cannot be matched to an Entra app. */
export interface UnidentifiedApp {
  readonly policyId: string;
  readonly policyState: 'enabled' | 'report-only';
  readonly reason: UnidentifiedAppReason;
  readonly appId?: string;
  readonly host?: string;
  readonly pathPrefix?: string;
}

/** The directory error a failed report records instead of a verdict. */
export interface PostureReportError {
  readonly kind: DirectoryErrorKind;
  readonly message: string;
  readonly status?: number;
  readonly retryAfterSeconds?: number;
}

/** Whether the CA policies were read; a failed report carries the error instead of a verdict. */
export type PostureOutcome =
  | { readonly status: 'complete' }
  | { readonly status: 'graph-disabled' }
  | { readonly status: 'failed'; readonly error: PostureReportError };

/** Counts and status. */
export type PostureSummary = PostureOutcome &
  PostureCounts & {
    /** ISO 8601. */
    readonly generatedAt: string;
  };

/** The counts of a report. */
export interface PostureCounts {
  readonly caPolicies: {
    readonly total: number;
    readonly enabled: number;
    readonly reportOnly: number;
    readonly disabled: number;
    readonly routingSessions: number;
  };
  readonly protectedApps: number;
  readonly fullyRoutedApps: number;
  readonly unidentifiedApps: number;
  readonly gaps: { readonly high: number; readonly medium: number };
}

/** The Conditional Access posture report. */
export interface PostureReport {
  readonly schemaVersion: typeof POSTURE_REPORT_SCHEMA_VERSION;
  readonly kind: 'conditional-access-posture';
  readonly summary: PostureSummary;
  /**
   * On a complete report kept as the latest: a later run that could not read the Conditional
   * Access policies (when, and Graph's error). The report's findings are from `generatedAt`.
   */
  readonly lastFailedRun?: { readonly at: string; readonly error: PostureReportError };
  readonly protectedApps: readonly ProtectedAppPosture[];
  readonly unidentifiedApps: readonly UnidentifiedApp[];
  readonly caPolicies: readonly CaPolicyPosture[];
  /** Every app's gap, high severity first, then by app id. */
  readonly gaps: readonly PostureGap[];
}

const ENTRA_APP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function hasValue(values: readonly string[] | undefined, wanted: string): boolean {
  const lower = wanted.toLowerCase();
  return (values ?? []).some((value) => value.toLowerCase() === lower);
}

interface CertgateApps {
  readonly protectedApps: ReadonlyMap<string, { id: string; state: 'enabled' | 'report-only' }[]>;
  readonly unidentified: readonly UnidentifiedApp[];
}

/** The protected apps and the unidentifiable app conditions of the enabled and report-only certgate policies. */
function certgateApps(configuration: PolicyConfiguration): CertgateApps {
  const protectedApps = new Map<string, { id: string; state: 'enabled' | 'report-only' }[]>();
  const unidentified: UnidentifiedApp[] = [];
  // A policy names registered apps by id; the Entra app id is the app's.
  const entraIds = new Map(
    configuration.apps.flatMap((registered) =>
      registered.entraAppId ? [[registered.id, registered.entraAppId] as const] : [],
    ),
  );
  for (const policy of configuration.policies) {
    if (policy.state === 'disabled') continue;
    const state: 'enabled' | 'report-only' = policy.state;
    const include = policy.conditions.apps?.include ?? 'all';
    if (include === 'all') {
      unidentified.push({ policyId: policy.id, policyState: state, reason: 'all-apps' });
      continue;
    }
    for (const named of include) {
      const entraAppId = named.appId === undefined ? undefined : entraIds.get(named.appId.toLowerCase());
      const matcher = entraAppId ? { ...named, appId: entraAppId } : named;
      const where = {
        ...(matcher.host === undefined ? {} : { host: matcher.host }),
        ...(matcher.pathPrefix === undefined ? {} : { pathPrefix: matcher.pathPrefix }),
      };
      if (matcher.appId === undefined) {
        unidentified.push({ policyId: policy.id, policyState: state, reason: 'no-app-id', ...where });
      } else if (!ENTRA_APP_ID.test(matcher.appId)) {
        unidentified.push({
          policyId: policy.id,
          policyState: state,
          reason: 'app-id-not-entra',
          appId: matcher.appId,
          ...where,
        });
      } else {
        const appId = matcher.appId.toLowerCase();
        const naming = protectedApps.get(appId) ?? [];
        if (!naming.some((entry) => entry.id === policy.id)) naming.push({ id: policy.id, state });
        protectedApps.set(appId, naming);
      }
    }
  }
  return { protectedApps, unidentified };
}

function stateOf(policy: ConditionalAccessPolicy): CaPolicyState {
  if (policy.state === 'enabled') return 'enabled';
  if (policy.state === 'enabledForReportingButNotEnforced') return 'report-only';
  return 'disabled';
}

function userAssignment(policy: ConditionalAccessPolicy): CaUserAssignment {
  const users = policy.conditions.users ?? {};
  const includeUsers = [...(users.includeUsers ?? [])];
  const includeGroups = [...(users.includeGroups ?? [])];
  const excludeUsers = [...(users.excludeUsers ?? [])];
  const excludeGroups = [...(users.excludeGroups ?? [])];
  let scope: CaUserScope;
  if (hasValue(includeUsers, 'All'))
    scope = excludeUsers.length + excludeGroups.length > 0 ? 'all-users-except' : 'all-users';
  else if (hasValue(includeUsers, 'None') && includeGroups.length === 0) scope = 'no-users';
  else scope = 'some-users';
  return { scope, includeUsers, includeGroups, excludeUsers, excludeGroups };
}

function appliesToBrowsers(policy: ConditionalAccessPolicy): boolean {
  const types = policy.conditions.clientAppTypes ?? [];
  return types.length === 0 || hasValue(types, 'all') || hasValue(types, 'browser');
}

function coveredApps(policy: ConditionalAccessPolicy, appIds: readonly string[]): string[] {
  const applications = policy.conditions.applications ?? {};
  const includesAll = hasValue(applications.includeApplications, 'All');
  return appIds.filter(
    (appId) =>
      (includesAll || hasValue(applications.includeApplications, appId)) &&
      !hasValue(applications.excludeApplications, appId),
  );
}

function analysePolicy(policy: ConditionalAccessPolicy, appIds: readonly string[]): CaPolicyPosture {
  const state = stateOf(policy);
  const users = userAssignment(policy);
  const cloudAppSecurity = policy.sessionControls?.cloudAppSecurity ?? undefined;
  const appControl = {
    enabled: cloudAppSecurity?.isEnabled === true,
    ...(cloudAppSecurity?.cloudAppSecurityType === undefined ? {} : { type: cloudAppSecurity.cloudAppSecurityType }),
  };
  const browsers = appliesToBrowsers(policy);
  const sessionRouting = appControl.enabled && browsers && users.scope !== 'no-users';
  const controls = policy.grantControls?.builtInControls;
  const operator = policy.grantControls?.operator;
  return {
    id: policy.id,
    name: policy.displayName,
    state,
    coversApps: coveredApps(policy, appIds),
    users,
    appControl,
    appliesToBrowsers: browsers,
    sessionRouting,
    routesSessions: sessionRouting && state === 'enabled',
    requiresCompliantDevice: hasValue(controls, 'compliantDevice'),
    requiresHybridJoinedDevice: hasValue(controls, 'domainJoinedDevice'),
    ...(operator === undefined ? {} : { grantOperator: operator }),
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function describeAssignment(assignment: GapUserAssignment, name: string): string {
  if (assignment.scope === 'all-users-except') {
    return `"${name}" targets all users but excludes ${plural(assignment.excludedUsers, 'user')} and ${plural(assignment.excludedGroups, 'group')}`;
  }
  const excluded =
    assignment.excludedUsers + assignment.excludedGroups > 0
      ? `, excluding ${plural(assignment.excludedUsers, 'user')} and ${plural(assignment.excludedGroups, 'group')}`
      : '';
  return `"${name}" targets only ${plural(assignment.includedUsers, 'user')} and ${plural(assignment.includedGroups, 'group')}${excluded}`;
}

/** Counts explicit user ids, not Graph's keywords. */
function explicitUsers(values: readonly string[]): number {
  return values.filter((value) => !['all', 'none', 'guestsorexternalusers'].includes(value.toLowerCase())).length;
}

function gapFor(
  appId: string,
  routing: readonly CaPolicyPosture[],
  reportOnly: readonly CaPolicyPosture[],
  disabled: readonly CaPolicyPosture[],
): { coverage: AppCoverage; gap?: PostureGap } {
  if (routing.some((policy) => policy.users.scope === 'all-users')) return { coverage: 'full' };
  if (routing.length > 0) {
    const users = routing.map((policy) => ({
      policyId: policy.id,
      scope: policy.users.scope,
      excludedUsers: policy.users.excludeUsers.length,
      excludedGroups: policy.users.excludeGroups.length,
      includedUsers: explicitUsers(policy.users.includeUsers),
      includedGroups: policy.users.includeGroups.length,
    }));
    const message = `Sessions of ${appId} are routed for some users only: ${users.map((assignment, index) => describeAssignment(assignment, routing[index]?.name ?? assignment.policyId)).join('; ')}.`;
    return {
      coverage: 'partial-users',
      gap: {
        code: 'app-routed-for-some-users',
        severity: 'medium',
        appId,
        message,
        caPolicies: routing.map((policy) => policy.id),
        users,
      },
    };
  }
  const dormant = [...reportOnly, ...disabled];
  if (dormant.length > 0) {
    const names = dormant.map((policy) => `"${policy.name}" (${policy.state})`).join(', ');
    return {
      coverage: 'not-enforced',
      gap: {
        code: 'app-routing-not-enforced',
        severity: 'high',
        appId,
        message: `Sessions of ${appId} are not routed: only ${names} would route them. Enable one of them.`,
        caPolicies: dormant.map((policy) => policy.id),
      },
    };
  }
  return {
    coverage: 'none',
    gap: {
      code: 'app-not-routed',
      severity: 'high',
      appId,
      message: `Sessions of ${appId} are not routed: no Conditional Access policy covers this app with App Control session control for browsers. Add an enabled policy that does.`,
      caPolicies: [],
    },
  };
}

function countsOf(
  caPolicies: readonly CaPolicyPosture[],
  apps: readonly ProtectedAppPosture[],
  unidentified: readonly UnidentifiedApp[],
  gaps: readonly PostureGap[],
): PostureCounts {
  const count = (state: CaPolicyState) => caPolicies.filter((policy) => policy.state === state).length;
  return {
    caPolicies: {
      total: caPolicies.length,
      enabled: count('enabled'),
      reportOnly: count('report-only'),
      disabled: count('disabled'),
      routingSessions: caPolicies.filter((policy) => policy.routesSessions).length,
    },
    protectedApps: apps.length,
    fullyRoutedApps: apps.filter((app) => app.coverage === 'full').length,
    unidentifiedApps: unidentified.length,
    gaps: {
      high: gaps.filter((gap) => gap.severity === 'high').length,
      medium: gaps.filter((gap) => gap.severity === 'medium').length,
    },
  };
}

/** Input of {@link analyseConditionalAccessPosture}. */
export interface PostureInput {
  /** Every CA policy of the tenant (all pages). */
  readonly caPolicies: readonly ConditionalAccessPolicy[];
  /** certgate's validated policy configuration. */
  readonly configuration: PolicyConfiguration;
  readonly generatedAt: Date;
}

/** The complete posture report for these CA policies and this certgate configuration (rules in the module header). */
export function analyseConditionalAccessPosture(input: PostureInput): PostureReport {
  const { protectedApps, unidentified } = certgateApps(input.configuration);
  const appIds = [...protectedApps.keys()].sort(byText);
  const caPolicies = input.caPolicies
    .map((policy) => analysePolicy(policy, appIds))
    .sort((a, b) => byText(a.name, b.name) || byText(a.id, b.id));
  const apps = appIds.map((appId): ProtectedAppPosture => {
    const covering = caPolicies.filter((policy) => policy.coversApps.includes(appId));
    const routing = covering.filter((policy) => policy.sessionRouting && policy.state === 'enabled');
    const reportOnly = covering.filter((policy) => policy.sessionRouting && policy.state === 'report-only');
    const disabled = covering.filter((policy) => policy.sessionRouting && policy.state === 'disabled');
    const { coverage, gap } = gapFor(appId, routing, reportOnly, disabled);
    return {
      appId,
      certgatePolicies: protectedApps.get(appId) ?? [],
      coverage,
      routedBy: routing.map((policy) => policy.id),
      reportOnly: reportOnly.map((policy) => policy.id),
      disabled: disabled.map((policy) => policy.id),
      withoutSessionControl: covering.filter((policy) => !policy.sessionRouting).map((policy) => policy.id),
      ...(gap ? { gap } : {}),
    };
  });
  const gaps = apps
    .flatMap((app) => (app.gap ? [app.gap] : []))
    .sort((a, b) => (a.severity === b.severity ? byText(a.appId, b.appId) : a.severity === 'high' ? -1 : 1));
  return {
    schemaVersion: POSTURE_REPORT_SCHEMA_VERSION,
    kind: 'conditional-access-posture',
    summary: {
      status: 'complete',
      generatedAt: input.generatedAt.toISOString(),
      ...countsOf(caPolicies, apps, unidentified, gaps),
    },
    protectedApps: apps,
    unidentifiedApps: unidentified,
    caPolicies,
    gaps,
  };
}

/** Input of {@link unassessedPostureReport}. */
export interface UnassessedPostureInput {
  readonly configuration: PolicyConfiguration;
  readonly generatedAt: Date;
  /** `failed`: Graph answered with this error; `graph-disabled`: certgate runs without Graph. */
  readonly outcome: Exclude<PostureOutcome, { readonly status: 'complete' }>;
}

/**
 * The report when the CA policies could not be read: the protected apps and unidentified app
 * conditions as configured, every app's coverage `unknown`, no CA policy and no gap claimed.
 */
export function unassessedPostureReport(input: UnassessedPostureInput): PostureReport {
  const { protectedApps, unidentified } = certgateApps(input.configuration);
  const apps = [...protectedApps.keys()].sort(byText).map((appId): ProtectedAppPosture => ({
    appId,
    certgatePolicies: protectedApps.get(appId) ?? [],
    coverage: 'unknown',
    routedBy: [],
    reportOnly: [],
    disabled: [],
    withoutSessionControl: [],
  }));
  return {
    schemaVersion: POSTURE_REPORT_SCHEMA_VERSION,
    kind: 'conditional-access-posture',
    summary: {
      ...input.outcome,
      generatedAt: input.generatedAt.toISOString(),
      ...countsOf([], apps, unidentified, []),
    },
    protectedApps: apps,
    unidentifiedApps: unidentified,
    caPolicies: [],
    gaps: [],
  };
}
