/**
 * The management API for configuration documents (registered apps, access policies, named
 * locations, settings) and for the whole configuration (export, import with dry run and diff).
 * Shared by the thin triggers in `functions/manage*.ts`.
 *
 * Every write goes the same way: check the query and the id (before storage is asked), validate
 * the document, check what it names outside the configuration (group ids in Microsoft Graph,
 * issuer thumbprints among the trusted CAs), read one consistent snapshot, check the ETag and the
 * configuration as it would be (references, duplicates: only problems the change brings), then
 * commit conditionally on the snapshot's version, so checks and write see the same configuration.
 * When another write landed in between, the steps from the snapshot on run again (an import with
 * If-Match answers 412 `configuration-changed` instead). A dry run goes the same way and stops at
 * the commit, so it predicts the real import. Document kinds come from `CONFIG_COLLECTIONS`, so a
 * new kind is one entry there and one validator here.
 * May import: @azure/functions types, composition types, ports (the directory for group checks,
 * the CA store for issuer checks), the policy core, the policy cache, responses.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { Services } from '../composition.js';
import { groupReferencesOf, type GroupReference } from '../policy/directoryNeeds.js';
import {
  type AccessPolicy,
  type PolicyConfiguration,
  type PolicyIssue,
  type PolicyValidation,
  migrateSettingsDocument,
  validateAccessPolicy,
  validateNamedLocation,
  validatePolicyConfiguration,
  validatePolicySettings,
  validateRegisteredApp,
  validateSessionPolicy,
} from '../policy/model.js';
import {
  DirectoryError,
  StoreError,
  type ConfigKind,
  type Directory,
  type PolicyStore,
  type StoredDocument,
  type TrustedCaStore,
} from '../ports.js';
import type { ManagementReason } from '../reasons.js';
import { CONFIG_COLLECTIONS, configurationDocument, SETTINGS_ID, type PolicyCache } from '../trust/policyCache.js';
import { managementError } from './responses.js';

/** What a management call needs. */
export interface ConfigApi {
  readonly store: PolicyStore;
  readonly cache: PolicyCache;
  readonly actor: string;
  readonly context: InvocationContext;
  /**
   * Microsoft Graph, to check that the group ids policies name exist; absent when Graph is turned off (not checked).
   */
  readonly directory?: Directory;
  /** The trusted CAs, to check the issuer thumbprints policies name; absent: not checked. */
  readonly trustedCas?: Pick<TrustedCaStore, 'list'>;
}

/** The {@link ConfigApi} of a management call: the worker's stores, Graph when on, the caller. */
export function configApiFor(
  services: Pick<Services, 'policyStore' | 'policies' | 'trustedCas' | 'directory'>,
  actor: string,
  context: InvocationContext,
): ConfigApi {
  return {
    store: services.policyStore,
    cache: services.policies,
    actor,
    context,
    trustedCas: services.trustedCas,
    ...(services.directory ? { directory: services.directory } : {}),
  };
}

/**
 * A problem with a document, with the kind and id of the document it is about when known (`path` stays as it was for
 * compatibility).
 */
export interface ManagementIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
  readonly kind?: ConfigKind;
  readonly id?: string;
}

/** The document kinds kept in lists, and how one document of each is validated. */
const VALIDATORS: Readonly<Record<Exclude<ConfigKind, 'settings'>, (value: unknown) => PolicyValidation<unknown>>> = {
  app: validateRegisteredApp,
  policy: (value) => validateAccessPolicy(value),
  'session-policy': (value) => validateSessionPolicy(value),
  location: validateNamedLocation,
};

/** What deleting a document that others still need is called. */
const IN_USE: Partial<Record<ConfigKind, ManagementReason>> = { location: 'location-in-use', app: 'app-in-use' };

const ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const ID_RULE = 'an id is a kebab-case slug: lower-case letters, digits and single hyphens, 1-64 characters';
/** Rounds of snapshot → check → commit before a write gives up on a configuration that keeps changing. */
const WRITE_ATTEMPTS = 5;

// ---- query, id, body --------------------------------------------------------------------------

/**
 * Refuses query parameters a route does not take (a misspelt `dryrun` would otherwise be ignored
 * and the import run for real) and parameters given twice. `code` (the function key) is always allowed.
 */
function checkQuery(request: HttpRequest, allowed: readonly string[]): HttpResponseInit | undefined {
  const names = [...request.query.keys()];
  const unknown = [...new Set(names.filter((name) => name !== 'code' && !allowed.includes(name)))];
  if (unknown.length > 0) {
    const hints = unknown.flatMap((name) =>
      allowed
        .filter((known) => known.toLowerCase() === name.toLowerCase())
        .map((known) => `${name} (did you mean ${known}?)`),
    );
    const takes =
      allowed.length > 0 ? `this route takes ${allowed.join(', ')}` : 'this route takes no query parameters';
    return managementError(
      'request-query-invalid',
      `unknown query parameter ${hints.length > 0 ? hints.join(', ') : unknown.join(', ')}: ${takes}`,
    );
  }
  const repeated = allowed.filter((name) => request.query.getAll(name).length > 1);
  if (repeated.length > 0)
    return managementError('request-query-invalid', `${repeated.join(', ')} given more than once`);
  return undefined;
}

/** A boolean query parameter: `true` or `false` in any case, absent = false, anything else a 400. */
function booleanQuery(
  request: HttpRequest,
  name: string,
): { ok: true; value: boolean } | { ok: false; response: HttpResponseInit } {
  const raw = request.query.get(name);
  if (raw === null) return { ok: true, value: false };
  const value = raw.toLowerCase();
  if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' };
  return {
    ok: false,
    response: managementError('request-query-invalid', `${name} is true or false, not ${JSON.stringify(raw)}`),
  };
}

function checkId(id: string | undefined): HttpResponseInit | undefined {
  if (id === undefined || id === '') return managementError('id-invalid', `the path needs an id: ${ID_RULE}`);
  if (id.length > 64 || !ID.test(id))
    return managementError('id-invalid', `${JSON.stringify(id)} is not an id: ${ID_RULE}`);
  return undefined;
}

async function jsonBody(
  request: HttpRequest,
): Promise<{ ok: true; value: unknown } | { ok: false; response: HttpResponseInit }> {
  try {
    return { ok: true, value: await request.json() };
  } catch {
    return { ok: false, response: managementError('request-body-invalid', 'the body is not valid JSON') };
  }
}

/** Two ETags (or versions) name the same revision, weak or strong, quoted or not. */
function sameTag(a: string, b: string): boolean {
  const bare = (tag: string) => tag.trim().replace(/^W\//, '').replaceAll('"', '');
  return bare(a) === bare(b);
}

// ---- issues that name documents ---------------------------------------------------------------

const LIST_ENTRY = /^(\w+)\[(\d+)\]/;

/**
 * Issues about `apps[i]` / `policies[i]` / `locations[i]` of a configuration document, with the kind and id of that
 * document.
 */
function withDocumentIds(
  issues: readonly (PolicyIssue | ManagementIssue)[],
  configuration: unknown,
): ManagementIssue[] {
  return issues.map((issue) => {
    const match = LIST_ENTRY.exec(issue.path);
    const collection = match ? CONFIG_COLLECTIONS.find((c) => c.list === match[1]) : undefined;
    if (!match || !collection) return issue;
    const list = (configuration as Record<string, unknown> | null)?.[collection.list];
    const entry: unknown = Array.isArray(list) ? list[Number(match[2])] : undefined;
    const id =
      entry !== null && typeof entry === 'object' && 'id' in entry && typeof entry.id === 'string'
        ? entry.id
        : undefined;
    return id === undefined ? issue : { ...issue, kind: collection.kind, id };
  });
}

/** `policies[id=vendors].conditions…: message`: an issue as a person reads it. */
function describeIssue(issue: ManagementIssue): string {
  const path =
    issue.id === undefined
      ? issue.path
      : issue.path.replace(LIST_ENTRY, (_, list: string) => `${list}[id=${issue.id ?? ''}]`);
  return `${path || '(document)'}: ${issue.message}`;
}

function describeIssues(issues: readonly ManagementIssue[], limit = 10): string {
  const shown = issues.slice(0, limit).map(describeIssue).join('; ');
  return issues.length > limit ? `${shown}; and ${issues.length - limit} more` : shown;
}

function invalid(issues: readonly ManagementIssue[]): HttpResponseInit {
  return managementError('policy-invalid', issues.length > 0 ? describeIssues(issues) : undefined, { issues });
}

// ---- what documents name outside the configuration --------------------------------------------

/**
 * Checks that every group id exists in the tenant: a typo would otherwise be a policy that
 * silently never matches. 422 `policy-unknown-group` with the field paths of the unknown ids; 503
 * `policy-groups-unverifiable` when Graph cannot answer. Without Graph nothing is checked.
 */
async function checkGroups(
  references: readonly GroupReference[],
  api: ConfigApi,
  configuration?: unknown,
): Promise<HttpResponseInit | undefined> {
  if (!api.directory || references.length === 0) return undefined;
  let found: ReadonlyMap<string, string>;
  try {
    found = await api.directory.findGroups([
      ...new Set(references.map((reference) => reference.groupId.toLowerCase())),
    ]);
  } catch (error) {
    const detail =
      error instanceof DirectoryError
        ? `${error.kind}${error.retryAfterSeconds ? `, retry after ${error.retryAfterSeconds} s` : ''}: ${error.message}`
        : String(error);
    api.context.warn(JSON.stringify({ event: 'certgate.graph.group-check-failed', detail }));
    const response = managementError('policy-groups-unverifiable', detail);
    return error instanceof DirectoryError && error.retryAfterSeconds
      ? { ...response, headers: { 'cache-control': 'no-store', 'retry-after': String(error.retryAfterSeconds) } }
      : response;
  }
  const known = new Set([...found.keys()].map((id) => id.toLowerCase()));
  const unknown = references.filter((reference) => !known.has(reference.groupId.toLowerCase()));
  if (unknown.length === 0) return undefined;
  const issues = withDocumentIds(
    unknown.map((reference) => ({
      path: reference.path,
      code: 'unknown-group',
      message: `no group with id ${reference.groupId} in the tenant`,
    })),
    configuration,
  );
  return managementError('policy-unknown-group', describeIssues(issues), { issues });
}

/** An issuer thumbprint a policy names, and where. */
interface IssuerReference {
  readonly thumbprint: string;
  readonly path: string;
}

/** Every issuer thumbprint the policies name (include and exclude), with its field path. */
function issuerReferencesOf(
  policies: readonly Pick<AccessPolicy, 'conditions'>[],
  pathOf: (index: number) => string = () => '',
): IssuerReference[] {
  const references: IssuerReference[] = [];
  policies.forEach((policy, index) => {
    const issuers = policy.conditions.certificate?.issuers;
    const prefix = pathOf(index);
    for (const side of ['include', 'exclude'] as const) {
      (issuers?.[side] ?? []).forEach((thumbprint, position) => {
        const path = `conditions.certificate.issuers.${side}[${position}]`;
        references.push({ thumbprint, path: prefix ? `${prefix}.${path}` : path });
      });
    }
  });
  return references;
}

const normaliseThumbprint = (thumbprint: string) => thumbprint.replaceAll(':', '').toLowerCase();

/**
 * Checks that every issuer thumbprint is a trusted CA's (enabled or not: a disabled CA is still
 * known), as group ids are checked: a typo would otherwise be a condition that never matches.
 * 422 `policy-unknown-issuer` naming each unknown one.
 */
async function checkIssuers(
  references: readonly IssuerReference[],
  api: ConfigApi,
  configuration?: unknown,
): Promise<HttpResponseInit | undefined> {
  if (!api.trustedCas || references.length === 0) return undefined;
  const known = new Set((await api.trustedCas.list()).map((ca) => normaliseThumbprint(ca.thumbprint)));
  const unknown = references.filter((reference) => !known.has(normaliseThumbprint(reference.thumbprint)));
  if (unknown.length === 0) return undefined;
  const issues = withDocumentIds(
    unknown.map((reference) => ({
      path: reference.path,
      code: 'unknown-issuer',
      message: `no trusted CA has the SHA-256 thumbprint ${reference.thumbprint}`,
    })),
    configuration,
  );
  return managementError('policy-unknown-issuer', describeIssues(issues), { issues });
}

/** Group and issuer checks for the policies of a save or an import. */
async function checkPolicyReferences(
  policies: readonly Pick<AccessPolicy, 'conditions'>[],
  api: ConfigApi,
  pathOf?: (index: number) => string,
  configuration?: unknown,
): Promise<HttpResponseInit | undefined> {
  return (
    (await checkIssuers(issuerReferencesOf(policies, pathOf), api, configuration)) ??
    (await checkGroups(groupReferencesOf(policies, pathOf), api, configuration))
  );
}

// ---- store answers ----------------------------------------------------------------------------

function documentView(document: StoredDocument): Record<string, unknown> {
  return {
    ...(document.document as Record<string, unknown>),
    etag: document.etag,
    updatedAt: document.updatedAt,
    updatedBy: document.updatedBy,
  };
}

function storeError(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof StoreError) {
    if (error.code === 'not-found') return managementError('policy-not-found');
    if (error.code === 'conflict') return managementError('policy-already-exists');
    if (error.code === 'precondition-failed') return managementError('configuration-changed');
    context.error(`policy store unavailable: ${error.message}: ${String(error.cause)}`);
    return managementError('store-unavailable');
  }
  throw error;
}

const isVersionRace = (error: unknown) => error instanceof StoreError && error.code === 'precondition-failed';

// ---- the configuration as it would be ---------------------------------------------------------

/**
 * An issue's identity across two configurations (list positions shift; kind, id and the path inside the document do
 * not).
 */
function issueKey(issue: ManagementIssue): string {
  return `${issue.code}|${issue.kind ?? ''}|${issue.id ?? ''}|${issue.path.replace(LIST_ENTRY, '')}|${issue.message}`;
}

/**
 * The problems the configuration `after` has that `before` did not (a change is not blamed for what was already wrong).
 */
function newIssues(before: readonly StoredDocument[], after: readonly StoredDocument[]): ManagementIssue[] {
  const issuesOf = (documents: readonly StoredDocument[]) => {
    const configuration = configurationDocument(documents);
    const validated = validatePolicyConfiguration(configuration);
    return validated.ok ? [] : withDocumentIds(validated.issues, configuration);
  };
  const existing = new Set(issuesOf(before).map(issueKey));
  return issuesOf(after).filter((issue) => !existing.has(issueKey(issue)));
}

/**
 * Issues inside the document being written get the paths of that document (`conditions…`), as its own validation gives
 * them.
 */
function relativeTo(kind: ConfigKind, id: string, issues: readonly ManagementIssue[]): ManagementIssue[] {
  return issues.map((issue) =>
    issue.kind === kind && issue.id === id
      ? { ...issue, path: issue.path.replace(LIST_ENTRY, '').replace(/^\./, '') }
      : issue,
  );
}

/**
 * One document written (`value`) or deleted (`null`) under an ETag condition: `undefined` =
 * create only, `*` = whatever is there, else that revision. Snapshot, checks and a commit
 * conditional on the snapshot's version, again while other writes land in between.
 */
async function writeDocument(
  kind: ConfigKind,
  id: string,
  value: unknown,
  ifMatch: string | undefined,
  api: ConfigApi,
): Promise<{ ok: true; stored: StoredDocument | undefined } | { ok: false; response: HttpResponseInit }> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const snapshot = await api.store.snapshot();
    const existing = snapshot.documents.find((d) => d.kind === kind && d.id === id);
    if (value === null && !existing) return { ok: false, response: managementError('policy-not-found') };
    if (ifMatch === undefined && existing && value !== null)
      return { ok: false, response: managementError('policy-already-exists') };
    if (ifMatch !== undefined && ifMatch !== '*') {
      if (!existing) return { ok: false, response: managementError('policy-not-found') };
      if (!sameTag(ifMatch, existing.etag)) return { ok: false, response: managementError('etag-mismatch') };
    }
    const others = snapshot.documents.filter((d) => !(d.kind === kind && d.id === id));
    const after =
      value === null ? others : [...others, { kind, id, document: value, etag: '', updatedAt: '', updatedBy: '' }];
    const issues = relativeTo(kind, id, newIssues(snapshot.documents, after));
    if (issues.length > 0) {
      if (value !== null) return { ok: false, response: invalid(issues) };
      return {
        ok: false,
        response: managementError(IN_USE[kind] ?? 'policy-invalid', describeIssues(issues), { issues }),
      };
    }
    try {
      const result = await api.store.commit([{ kind, id, document: value }], {
        actor: api.actor,
        baseVersion: snapshot.version,
      });
      api.cache.invalidate();
      return { ok: true, stored: result.documents[0] ?? (value === null ? undefined : existing) };
    } catch (error) {
      if (!isVersionRace(error)) throw error;
    }
  }
  return {
    ok: false,
    response: managementError(
      'configuration-changed',
      'the configuration kept changing while this change was being made: retry',
    ),
  };
}

// ---- routes -----------------------------------------------------------------------------------

/** GET (list or one), PUT (create, or replace with If-Match), DELETE for apps, policies and locations. */
export async function handleDocumentCollection(
  kind: Exclude<ConfigKind, 'settings'>,
  request: HttpRequest,
  api: ConfigApi,
): Promise<HttpResponseInit> {
  const id = request.params.id;
  const ifMatch = request.headers.get('if-match') ?? undefined;
  try {
    const badQuery = checkQuery(request, []);
    if (badQuery) return badQuery;
    if (request.method === 'GET' && !id) {
      const documents = (await api.store.list())
        .filter((d) => d.kind === kind)
        .sort((a, b) => a.id.localeCompare(b.id));
      return {
        status: 200,
        jsonBody: { items: documents.map(documentView) },
        headers: { 'cache-control': 'no-store' },
      };
    }
    const badId = checkId(id);
    if (badId || id === undefined) return badId ?? managementError('id-invalid');
    if (request.method === 'GET') {
      const document = await api.store.get(kind, id);
      return document
        ? {
            status: 200,
            jsonBody: documentView(document),
            headers: { etag: document.etag, 'cache-control': 'no-store' },
          }
        : managementError('policy-not-found');
    }
    if (request.method === 'DELETE') {
      const written = await writeDocument(kind, id, null, ifMatch ?? '*', api);
      return written.ok ? { status: 204 } : written.response;
    }
    const body = await jsonBody(request);
    if (!body.ok) return body.response;
    const fields =
      typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value)
        ? (body.value as Record<string, unknown>)
        : undefined;
    if (fields && 'id' in fields && fields.id !== id) {
      return managementError(
        'id-mismatch',
        `the body's id ${JSON.stringify(fields.id)} is not the id in the path (${id}): leave it out, or send the same`,
      );
    }
    const validated = VALIDATORS[kind](fields ? { ...fields, id } : body.value);
    if (!validated.ok) return invalid(validated.issues);
    if (kind === 'policy' || kind === 'session-policy') {
      const refused = await checkPolicyReferences([validated.value as Pick<AccessPolicy, 'conditions'>], api);
      if (refused) return refused;
    }
    const written = await writeDocument(kind, id, validated.value, ifMatch, api);
    if (!written.ok) return written.response;
    const stored = written.stored;
    if (!stored) return managementError('store-unavailable');
    return {
      status: ifMatch ? 200 : 201,
      jsonBody: documentView(stored),
      headers: { etag: stored.etag, 'cache-control': 'no-store' },
    };
  } catch (error) {
    return storeError(error, api.context);
  }
}

/** GET / PUT (If-Match optional) of the settings document. */
export async function handleSettings(request: HttpRequest, api: ConfigApi): Promise<HttpResponseInit> {
  try {
    const badQuery = checkQuery(request, []);
    if (badQuery) return badQuery;
    if (request.method === 'GET') {
      const stored = await api.store.get('settings', SETTINGS_ID);
      const parsed = validatePolicySettings(migrateSettingsDocument(stored?.document ?? {}));
      return {
        status: 200,
        jsonBody: parsed.ok ? parsed.value : stored?.document,
        headers: { ...(stored ? { etag: stored.etag } : {}), 'cache-control': 'no-store' },
      };
    }
    const body = await jsonBody(request);
    if (!body.ok) return body.response;
    const validated = validatePolicySettings(body.value);
    if (!validated.ok) return invalid(validated.issues);
    const written = await writeDocument(
      'settings',
      SETTINGS_ID,
      validated.value,
      request.headers.get('if-match') ?? '*',
      api,
    );
    if (!written.ok) return written.response;
    return {
      status: 200,
      jsonBody: validated.value,
      headers: { ...(written.stored ? { etag: written.stored.etag } : {}), 'cache-control': 'no-store' },
    };
  } catch (error) {
    return storeError(error, api.context);
  }
}

type Change = { kind: ConfigKind; id: string; change: 'add' | 'update' | 'remove' };

/** The documents a validated configuration consists of, keyed `kind/id`. */
function documentsOf(
  configuration: PolicyConfiguration,
): Map<string, { kind: ConfigKind; id: string; document: unknown }> {
  const wanted = new Map<string, { kind: ConfigKind; id: string; document: unknown }>();
  for (const { kind, list } of CONFIG_COLLECTIONS) {
    for (const item of configuration[list]) wanted.set(`${kind}/${item.id}`, { kind, id: item.id, document: item });
  }
  wanted.set(`settings/${SETTINGS_ID}`, { kind: 'settings', id: SETTINGS_ID, document: configuration.settings });
  return wanted;
}

/** What turns the stored documents into the wanted ones. */
function changesBetween(
  stored: readonly StoredDocument[],
  wanted: ReadonlyMap<string, { kind: ConfigKind; id: string; document: unknown }>,
): Change[] {
  const existing = new Map(stored.map((d) => [`${d.kind}/${d.id}`, d]));
  const changes: Change[] = [];
  for (const [key, item] of wanted) {
    const before = existing.get(key);
    if (!before) changes.push({ kind: item.kind, id: item.id, change: 'add' });
    else if (JSON.stringify(before.document) !== JSON.stringify(item.document))
      changes.push({ kind: item.kind, id: item.id, change: 'update' });
  }
  for (const [key, before] of existing)
    if (!wanted.has(key)) changes.push({ kind: before.kind, id: before.id, change: 'remove' });
  return changes;
}

/**
 * GET: export the whole configuration (ETag = version). POST: import it, all or nothing
 * (`?dryRun=true` goes the same way up to the commit and changes nothing; `If-Match: <version>`
 * refuses with 412 `configuration-changed` when anything changed since, including while the
 * import was being written).
 */
export async function handleConfiguration(request: HttpRequest, api: ConfigApi): Promise<HttpResponseInit> {
  try {
    if (request.method === 'GET') {
      const badQuery = checkQuery(request, []);
      if (badQuery) return badQuery;
      const snapshot = await api.store.snapshot();
      return {
        status: 200,
        jsonBody: configurationDocument(snapshot.documents),
        headers: { etag: `"${snapshot.version}"`, 'cache-control': 'no-store' },
      };
    }
    const badQuery = checkQuery(request, ['dryRun']);
    if (badQuery) return badQuery;
    const dryRun = booleanQuery(request, 'dryRun');
    if (!dryRun.ok) return dryRun.response;
    const body = await jsonBody(request);
    if (!body.ok) return body.response;
    const validated = validatePolicyConfiguration(body.value);
    if (!validated.ok) return invalid(withDocumentIds(validated.issues, body.value));
    const refused =
      (await checkPolicyReferences(validated.value.policies, api, (index) => `policies[${index}]`, validated.value)) ??
      (await checkPolicyReferences(
        validated.value.sessionPolicies,
        api,
        (index) => `sessionPolicies[${index}]`,
        validated.value,
      ));
    if (refused) return refused;
    const wanted = documentsOf(validated.value);
    const ifMatch = request.headers.get('if-match');
    for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
      const snapshot = await api.store.snapshot();
      if (ifMatch && ifMatch !== '*' && !sameTag(ifMatch, snapshot.version))
        return managementError('configuration-changed', `the configuration is at version "${snapshot.version}" now`);
      const changes = changesBetween(snapshot.documents, wanted);
      try {
        const result = await api.store.commit(
          changes.map((change) => ({
            kind: change.kind,
            id: change.id,
            document: change.change === 'remove' ? null : wanted.get(`${change.kind}/${change.id}`)?.document,
          })),
          { actor: api.actor, baseVersion: snapshot.version, dryRun: dryRun.value },
        );
        if (!dryRun.value) api.cache.invalidate();
        return {
          status: 200,
          jsonBody: { dryRun: dryRun.value, changes },
          headers: { etag: `"${result.version}"`, 'cache-control': 'no-store' },
        };
      } catch (error) {
        if (!isVersionRace(error)) throw error;
        if (ifMatch && ifMatch !== '*')
          return managementError(
            'configuration-changed',
            'another change landed while the import was being written; nothing of the import was applied',
          );
      }
    }
    return managementError(
      'configuration-changed',
      'the configuration kept changing while the import was being written; nothing of it was applied: retry',
    );
  } catch (error) {
    return storeError(error, api.context);
  }
}
