/**
 * The access-policy model: zod schemas for access policies, named locations, settings and the
 * versioned configuration document that holds them, the types inferred from them, and validation
 * that answers with every problem as `{ path, code, message }` (paths like
 * `policies[2].conditions.locations.include[0]`, codes from `policyReasons.ts`). Schemas are
 * strict: an unknown field is an issue, not silently ignored. Pure: no I/O, no clock.
 * The conditions' schemas and reference checks come from the registry (`conditions/`).
 * May import: zod, the policy issue codes, the intake's CIDR parser, the field schemas, the
 * condition registry.
 */
import { z } from 'zod';
import { compileAddressRanges } from '../cert/intake/addressRanges.js';
import type { ReferenceCatalogue } from './condition.js';
import { conditionReferenceIssues, PolicyConditionsSchema } from './conditions/index.js';
import { checked, CONTROL, GUID, hostName, pathPrefix, slug } from './fieldSchemas.js';
import { POLICY_ISSUE_CODES, type PolicyIssueCode } from './policyReasons.js';
import { SessionControlSchema } from './sessionControls.js';

export { DEVICE_TAGS, type DeviceTag } from './fieldSchemas.js';
export { CLIENT_APP_KINDS, type ClientAppKind } from './clientApp.js';
export { AppMatcherSchema, type AppMatcher } from './conditions/apps.js';
export { PolicyConditionsSchema, type PolicyConditions } from './conditions/index.js';

/** The schema version this module reads and writes. */
export const POLICY_SCHEMA_VERSION = 1;

// eslint-disable-next-line no-control-regex -- block messages may span lines, nothing else
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f]/;
const MARKUP = /<[a-z!/?]/i;

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]', 'localhost']);

function parsedUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

const displayName = checked(
  z.string().min(1).max(200),
  (value) => !CONTROL.test(value),
  'invalid-text',
  'control characters are not allowed',
);
const cidr = checked(
  z.string().max(64),
  (value) => compileAddressRanges([value]).size === 1,
  'invalid-cidr',
  'expected an IPv4 or IPv6 CIDR such as 10.20.0.0/16 or fd00:20::/32',
);

/** What access and session policies share: identity, state, order and the conditions. */
const POLICY_COMMON = {
  id: slug,
  name: displayName,
  description: checked(
    z.string().max(2000),
    (value) => !MARKUP.test(value),
    'invalid-text',
    'plain text only',
  ).optional(),
  state: z.enum(['enabled', 'disabled', 'report-only']),
  priority: z.int().min(0).max(1_000_000),
  conditions: PolicyConditionsSchema,
};

/** An access policy. */
export const AccessPolicySchema = z.strictObject({
  ...POLICY_COMMON,
  action: z.enum(['allow', 'block', 'monitor']),
  blockMessage: checked(
    z.string().min(1).max(500),
    (value) => !CONTROL_EXCEPT_NEWLINE.test(value) && !MARKUP.test(value),
    'invalid-text',
    'plain text only: no control characters or markup',
  ).optional(),
  alert: z.strictObject({ severity: z.enum(['low', 'medium', 'high']) }).optional(),
});

/** An access policy (as validated). */
export type AccessPolicy = z.infer<typeof AccessPolicySchema>;

/**
 * A session policy: the same conditions as an access policy, and controls applied to the requests
 * and responses of an allowed session (block downloads, block uploads, monitor). Report-only
 * policies are evaluated and recorded, never enforced.
 */
export const SessionPolicySchema = z.strictObject({
  ...POLICY_COMMON,
  controls: z.array(SessionControlSchema).min(1).max(10),
});

/** A session policy (as validated, defaults applied). */
export type SessionPolicy = z.infer<typeof SessionPolicySchema>;

/** A named location: IP ranges with tags a policy can refer to (`tag:corporate`). */
export const NamedLocationSchema = z.strictObject({
  id: slug,
  name: displayName,
  ranges: z.array(cidr).min(1).max(1000),
  tags: z.array(slug).max(20).default([]),
});

/** A named location (as validated). */
export type NamedLocation = z.infer<typeof NamedLocationSchema>;

/**
 * What decides when no enforced policy applies (and for requests for an unregistered app):
 * `require-valid-certificate` (the default: allow exactly the requests with a valid client
 * certificate), `allow` or `block`. Only this explicit setting changes it: adding, removing or
 * editing report-only and disabled policies never does.
 */
export const BASELINES = ['require-valid-certificate', 'allow', 'block'] as const;

/** A baseline. */
export type Baseline = (typeof BASELINES)[number];

/** The baseline, and what happens when an enforced block policy cannot be evaluated. */
export const PolicySettingsSchema = z.strictObject({
  baseline: z.enum(BASELINES).default('require-valid-certificate'),
  failMode: z.enum(['closed', 'open']).default('closed'),
});

/** Policy settings (defaults applied). */
export type PolicySettings = z.infer<typeof PolicySettingsSchema>;

const upstreamUrl = checked(
  z.string().max(2048),
  (value) => {
    const url = parsedUrl(value);
    if (!url || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return false;
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  },
  'invalid-upstream',
  'expected an https URL without credentials, query or fragment (http only to 127.0.0.1, [::1] or localhost, for development)',
);

/**
 * Where an app is reached: a host (exact, or `*.suffix` for its subdomains) and optionally a path prefix (whole
 * segments).
 */
export const AppRouteSchema = z.strictObject({
  host: hostName,
  pathPrefix: pathPrefix.optional(),
});

/** A route of a registered app. */
export type AppRoute = z.infer<typeof AppRouteSchema>;

/**
 * A registered app: what certgate protects. A request's app is the registered app whose route
 * matches the host and path the gateway saw (under the gateway proof); never something the
 * client chose. Policies refer to apps by `id`.
 */
export const RegisteredAppSchema = z.strictObject({
  id: slug,
  name: displayName,
  description: checked(
    z.string().max(2000),
    (value) => !MARKUP.test(value),
    'invalid-text',
    'plain text only',
  ).optional(),
  hosts: z.array(AppRouteSchema).min(1).max(50),
  /** The Entra application (client) id, for the Conditional Access posture report. */
  entraAppId: checked(
    z.string(),
    (value) => GUID.test(value),
    'invalid-entra-app-id',
    'expected an Entra application (client) id (GUID)',
  ).optional(),
  /** Where the gate forwards allowed requests (a later step). */
  upstream: upstreamUrl.optional(),
});

/** A registered app (as validated). */
export type RegisteredApp = z.infer<typeof RegisteredAppSchema>;

/** The whole configuration document (import/export, demo, what the engine compiles). */
export const PolicyConfigurationSchema = z.strictObject({
  schemaVersion: z.literal(POLICY_SCHEMA_VERSION),
  apps: z.array(RegisteredAppSchema).max(500).default([]),
  policies: z.array(AccessPolicySchema).max(500),
  sessionPolicies: z.array(SessionPolicySchema).max(500).default([]),
  locations: z.array(NamedLocationSchema).max(500).default([]),
  settings: PolicySettingsSchema.prefault({}),
});

/** A validated configuration document (defaults applied). */
export type PolicyConfiguration = z.infer<typeof PolicyConfigurationSchema>;

/** A configuration document as written (defaults not yet applied). */
export type PolicyConfigurationInput = z.input<typeof PolicyConfigurationSchema>;

/** One problem in a document. */
export interface PolicyIssue {
  /** Where, as `policies[2].conditions.locations.include[0]`; empty for the document itself. */
  readonly path: string;
  readonly code: PolicyIssueCode;
  readonly message: string;
}

/** The result of validating a document. */
export type PolicyValidation<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly PolicyIssue[] };

type PathSegment = PropertyKey;

/** `['policies', 2, 'id']` → `policies[2].id`. */
function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out;
}

function valueAt(input: unknown, segments: readonly PathSegment[]): unknown {
  let current = input;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.keys(POLICY_ISSUE_CODES));

function isIssueCode(value: unknown): value is PolicyIssueCode {
  return typeof value === 'string' && KNOWN_CODES.has(value);
}

/** Translates one zod issue into stable issues (zod's own codes and messages are not API). */
function toPolicyIssues(issue: z.core.$ZodIssue, input: unknown, prefix: readonly PathSegment[]): PolicyIssue[] {
  const segments = [...prefix, ...issue.path];
  const path = formatPath(segments);
  switch (issue.code) {
    case 'custom': {
      const code: unknown = issue.params?.code;
      return [{ path, code: isIssueCode(code) ? code : 'invalid-value', message: issue.message }];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: formatPath([...segments, key]),
        code: 'unknown-field' as const,
        message: `unknown field ${key}`,
      }));
    case 'invalid_type': {
      if (valueAt(input, segments) === undefined)
        return [{ path, code: 'required', message: `${path || 'document'} is required` }];
      if (issue.expected === 'int') return [{ path, code: 'invalid-integer', message: 'expected an integer' }];
      return [{ path, code: 'invalid-type', message: `expected ${issue.expected}` }];
    }
    case 'invalid_value':
      if (valueAt(input, segments) === undefined)
        return [{ path, code: 'required', message: `${path || 'document'} is required` }];
      if (segments.length === 1 && segments[0] === 'schemaVersion')
        return [
          { path, code: 'unsupported-schema-version', message: `expected schemaVersion ${POLICY_SCHEMA_VERSION}` },
        ];
      return [
        {
          path,
          code: 'invalid-value',
          message: `expected one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`,
        },
      ];
    case 'too_small':
      if (issue.origin === 'number' || issue.origin === 'int')
        return [{ path, code: 'invalid-integer', message: `must be at least ${String(issue.minimum)}` }];
      return [
        {
          path,
          code: 'too-short',
          message: `needs at least ${String(issue.minimum)} ${issue.origin === 'string' ? 'characters' : 'entries'}`,
        },
      ];
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int')
        return [{ path, code: 'invalid-integer', message: `must be at most ${String(issue.maximum)}` }];
      return [
        {
          path,
          code: 'too-long',
          message: `allows at most ${String(issue.maximum)} ${issue.origin === 'string' ? 'characters' : 'entries'}`,
        },
      ];
    case 'invalid_union': {
      const options: unknown = (issue as { options?: unknown }).options;
      if ('discriminator' in issue && Array.isArray(options)) {
        // A discriminated union (a session control's `type`): name the values it takes.
        const expected = `expected one of ${options.map((value) => JSON.stringify(value)).join(', ')}`;
        if (valueAt(input, segments) === undefined) return [{ path, code: 'required', message: expected }];
        return [{ path, code: 'invalid-value', message: expected }];
      }
      // Report the branch that got furthest (its deepest issue), e.g. the bad matcher inside an
      // `include` list rather than "not 'all' and not a list".
      let best: readonly z.core.$ZodIssue[] | undefined;
      let bestDepth = -1;
      for (const branch of issue.errors) {
        const depth = Math.max(-1, ...branch.map((inner) => inner.path.length));
        if (depth > bestDepth) {
          best = branch;
          bestDepth = depth;
        }
      }
      if (best && bestDepth > 0) return best.flatMap((inner) => toPolicyIssues(inner, input, segments));
      return [{ path, code: 'invalid-value', message: 'expected "all" or a list of app matchers' }];
    }
    default:
      return [{ path, code: 'invalid-value', message: issue.message }];
  }
}

function parseWith<T>(schema: z.ZodType<T>, json: unknown, prefix: readonly PathSegment[] = []): PolicyValidation<T> {
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: result.error.issues.flatMap((issue) => toPolicyIssues(issue, json, prefix)) };
}

/** Known location ids and tags (and registered app ids), for checking the references a policy makes. */
export type LocationCatalogue = ReferenceCatalogue;

/** The catalogue of a list of named locations. */
export function catalogueLocations(locations: readonly NamedLocation[]): LocationCatalogue {
  return {
    ids: new Set(locations.map((location) => location.id)),
    tags: new Set(locations.flatMap((location) => location.tags)),
  };
}

/**
 * Two apps (or two routes of one app) claiming the same host and path prefix: which one a request is for would be
 * ambiguous.
 */
function duplicateRouteIssues(apps: readonly RegisteredApp[]): PolicyIssue[] {
  const seen = new Map<string, string>();
  const issues: PolicyIssue[] = [];
  apps.forEach((app, appIndex) => {
    app.hosts.forEach((route, routeIndex) => {
      const key = `${route.host.toLowerCase()}${normaliseRoutePrefix(route.pathPrefix)}`;
      const owner = seen.get(key);
      if (owner !== undefined) {
        issues.push({
          path: `apps[${appIndex}].hosts[${routeIndex}]`,
          code: 'duplicate-app-route',
          message: `${route.host}${route.pathPrefix ?? ''} is already a route of app ${owner}`,
        });
      } else seen.set(key, app.id);
    });
  });
  return issues;
}

/** A route's path prefix as compared for duplicates: lower-case, no trailing slash, '' for the whole host. */
function normaliseRoutePrefix(prefix: string | undefined): string {
  if (prefix === undefined) return '';
  const lower = prefix.toLowerCase().replace(/\/+$/, '');
  return lower === '' ? '' : lower;
}

/** References to named locations, location tags or registered apps (when the catalogue has them) that do not exist. */
function locationReferenceIssues(
  policy: Pick<AccessPolicy, 'conditions'>,
  catalogue: LocationCatalogue,
  prefix: string,
): PolicyIssue[] {
  return conditionReferenceIssues(policy.conditions, catalogue).map((issue) => ({
    ...issue,
    path: `${prefix}${issue.path}`,
  }));
}

function duplicateIdIssues(items: readonly { readonly id: string }[], list: string): PolicyIssue[] {
  const seen = new Set<string>();
  const issues: PolicyIssue[] = [];
  items.forEach((item, index) => {
    if (seen.has(item.id))
      issues.push({
        path: `${list}[${index}].id`,
        code: 'duplicate-id',
        message: `the id ${item.id} is used more than once`,
      });
    seen.add(item.id);
  });
  return issues;
}

/**
 * A session policy with an access policy's id: decision traces, alerts and the decision log name
 * policies by id, so one id means one policy.
 */
function sharedPolicyIdIssues(
  policies: readonly { readonly id: string }[],
  sessionPolicies: readonly { readonly id: string }[],
): PolicyIssue[] {
  const accessIds = new Set(policies.map((policy) => policy.id));
  return sessionPolicies.flatMap((policy, index) =>
    accessIds.has(policy.id)
      ? [
          {
            path: `sessionPolicies[${index}].id`,
            code: 'duplicate-id' as const,
            message: `the id ${policy.id} is already an access policy's`,
          },
        ]
      : [],
  );
}

/**
 * Validates a configuration document: the schema, then the cross-checks (duplicate policy or
 * location ids, references to locations or location tags that do not exist). Defaults applied.
 */
export function validatePolicyConfiguration(json: unknown): PolicyValidation<PolicyConfiguration> {
  const parsed = parseWith(PolicyConfigurationSchema, json);
  if (!parsed.ok) return parsed;
  const configuration = parsed.value;
  const catalogue = {
    ...catalogueLocations(configuration.locations),
    appIds: new Set(configuration.apps.map((app) => app.id)),
  };
  const issues = [
    ...duplicateIdIssues(configuration.apps, 'apps'),
    ...duplicateRouteIssues(configuration.apps),
    ...duplicateIdIssues(configuration.policies, 'policies'),
    ...duplicateIdIssues(configuration.sessionPolicies, 'sessionPolicies'),
    ...sharedPolicyIdIssues(configuration.policies, configuration.sessionPolicies),
    ...duplicateIdIssues(configuration.locations, 'locations'),
    ...configuration.policies.flatMap((policy, index) =>
      locationReferenceIssues(policy, catalogue, `policies[${index}].`),
    ),
    ...configuration.sessionPolicies.flatMap((policy, index) =>
      locationReferenceIssues(policy, catalogue, `sessionPolicies[${index}].`),
    ),
  ];
  return issues.length > 0 ? { ok: false, issues } : parsed;
}

/**
 * Validates one access policy (as the admin API receives it). With `locations`, references to
 * named locations and tags are checked too; without, only the schema.
 */
export function validateAccessPolicy(json: unknown, locations?: LocationCatalogue): PolicyValidation<AccessPolicy> {
  const parsed = parseWith(AccessPolicySchema, json);
  if (!parsed.ok || !locations) return parsed;
  const issues = locationReferenceIssues(parsed.value, locations, '');
  return issues.length > 0 ? { ok: false, issues } : parsed;
}

/**
 * Validates one session policy (as the admin API receives it). With `locations`, references to
 * named locations and tags are checked too; without, only the schema.
 */
export function validateSessionPolicy(json: unknown, locations?: LocationCatalogue): PolicyValidation<SessionPolicy> {
  const parsed = parseWith(SessionPolicySchema, json);
  if (!parsed.ok || !locations) return parsed;
  const issues = locationReferenceIssues(parsed.value, locations, '');
  return issues.length > 0 ? { ok: false, issues } : parsed;
}

/** Validates one named location. */
export function validateNamedLocation(json: unknown): PolicyValidation<NamedLocation> {
  return parseWith(NamedLocationSchema, json);
}

/** Validates one registered app. */
export function validateRegisteredApp(json: unknown): PolicyValidation<RegisteredApp> {
  return parseWith(RegisteredAppSchema, json);
}

/** Validates the settings document (defaults applied). `defaultAction` is gone: its answer says what replaced it. */
export function validatePolicySettings(json: unknown): PolicyValidation<PolicySettings> {
  if (json !== null && typeof json === 'object' && 'defaultAction' in json) {
    return {
      ok: false,
      issues: [
        {
          path: 'defaultAction',
          code: 'unknown-field',
          message: 'defaultAction was replaced by baseline: require-valid-certificate (the default), allow or block',
        },
      ],
    };
  }
  return parseWith(PolicySettingsSchema, json);
}

/**
 * A stored settings document in today's form. Settings written before `baseline` existed carry
 * `defaultAction`; its old default `allow` let every request through once any policy existed
 * (the flaw `baseline` fixes), so it becomes the safe `require-valid-certificate`; an explicit
 * `block` stays `block`.
 */
export function migrateSettingsDocument(document: unknown): unknown {
  if (document === null || typeof document !== 'object' || Array.isArray(document) || !('defaultAction' in document))
    return document;
  const { defaultAction, ...rest } = document as Record<string, unknown>;
  return 'baseline' in rest
    ? rest
    : { ...rest, baseline: defaultAction === 'block' ? 'block' : 'require-valid-certificate' };
}
