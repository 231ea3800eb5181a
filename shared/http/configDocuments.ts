/**
 * The management API for policy documents (access policies, named locations, settings) and for
 * the whole configuration (export, import with dry run and diff): validation against the policy
 * model with field paths, ETag concurrency, audit through the store, and the worker's cache
 * invalidated after a change. Shared by the thin triggers in `functions/manage*.ts`.
 * May import: @azure/functions types, ports (the directory for group checks), the policy core, the policy cache, responses.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { catalogueLocations, migrateSettingsDocument, type AccessPolicy, validateAccessPolicy, validateNamedLocation, validatePolicyConfiguration, validatePolicySettings, validateRegisteredApp, type PolicyIssue } from '../policy/model.js';
import { groupReferencesOf, type GroupReference } from '../policy/directoryNeeds.js';
import { DirectoryError, StoreError, type ConfigKind, type Directory, type PolicyStore, type StoredDocument } from '../ports.js';
import { configurationDocument, type PolicyCache } from '../trust/policyCache.js';
import { managementError } from './responses.js';

/** What a management call needs. */
export interface ConfigApi {
  readonly store: PolicyStore;
  readonly cache: PolicyCache;
  readonly actor: string;
  readonly context: InvocationContext;
  /** Microsoft Graph, to check that the group ids policies name exist; absent when Graph is turned off (not checked). */
  readonly directory?: Directory;
}

/**
 * Checks that every group id exists in the tenant: a typo would otherwise be a policy that
 * silently never matches. 422 `policy-unknown-group` with the field paths of the unknown ids; 503
 * `policy-groups-unverifiable` when Graph cannot answer. Without Graph nothing is checked.
 */
async function checkGroups(references: readonly GroupReference[], api: ConfigApi): Promise<HttpResponseInit | undefined> {
  if (!api.directory || references.length === 0) return undefined;
  let found: ReadonlyMap<string, string>;
  try {
    found = await api.directory.findGroups([...new Set(references.map((reference) => reference.groupId.toLowerCase()))]);
  } catch (error) {
    const detail = error instanceof DirectoryError ? `${error.kind}${error.retryAfterSeconds ? `, retry after ${error.retryAfterSeconds} s` : ''}: ${error.message}` : String(error);
    api.context.warn(JSON.stringify({ event: 'certgate.graph.group-check-failed', detail }));
    const response = managementError('policy-groups-unverifiable', detail);
    return error instanceof DirectoryError && error.retryAfterSeconds ? { ...response, headers: { 'cache-control': 'no-store', 'retry-after': String(error.retryAfterSeconds) } } : response;
  }
  const known = new Set([...found.keys()].map((id) => id.toLowerCase()));
  const unknown = references.filter((reference) => !known.has(reference.groupId.toLowerCase()));
  if (unknown.length === 0) return undefined;
  return managementError('policy-unknown-group', unknown.map((reference) => `${reference.path}: ${reference.groupId}`).join(', '), {
    issues: unknown.map((reference) => ({ path: reference.path, code: 'unknown-group', message: `no group with id ${reference.groupId} in the tenant` })),
  });
}

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;

function documentView(document: StoredDocument): Record<string, unknown> {
  return { ...(document.document as Record<string, unknown>), etag: document.etag, updatedAt: document.updatedAt, updatedBy: document.updatedBy };
}

function invalid(issues: readonly PolicyIssue[]): HttpResponseInit {
  return managementError('policy-invalid', issues[0] ? `${issues[0].path || '(document)'}: ${issues[0].message}` : undefined, { issues });
}

function storeError(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof StoreError) {
    if (error.code === 'not-found') return managementError('policy-not-found');
    if (error.code === 'conflict') return managementError('policy-already-exists');
    if (error.code === 'precondition-failed') return managementError('etag-mismatch');
    context.error(`policy store unavailable: ${error.message}: ${String(error.cause)}`);
    return managementError('store-unavailable');
  }
  throw error;
}

async function jsonBody(request: HttpRequest): Promise<{ ok: true; value: unknown } | { ok: false; response: HttpResponseInit }> {
  try {
    return { ok: true, value: await request.json() };
  } catch {
    return { ok: false, response: managementError('request-body-invalid', 'the body is not valid JSON') };
  }
}

/** Validates one document of a kind (policies against the current locations). */
async function validateDocument(kind: ConfigKind, value: unknown, api: ConfigApi): Promise<{ ok: true; value: unknown } | { ok: false; issues: readonly PolicyIssue[] }> {
  if (kind === 'location') return validateNamedLocation(value);
  if (kind === 'settings') return validatePolicySettings(value);
  if (kind === 'app') return validateRegisteredApp(value);
  const documents = await api.store.list();
  const locations = documents.filter((d) => d.kind === 'location').map((d) => d.document);
  const catalogue = catalogueLocations(locations.flatMap((l) => {
    const parsed = validateNamedLocation(l);
    return parsed.ok ? [parsed.value] : [];
  }));
  return validateAccessPolicy(value, { ...catalogue, appIds: new Set(documents.filter((d) => d.kind === 'app').map((d) => d.id)) });
}

/** GET (list or one), PUT (create, or replace with If-Match), DELETE for policies and locations. */
export async function handleDocumentCollection(kind: 'app' | 'policy' | 'location', request: HttpRequest, api: ConfigApi): Promise<HttpResponseInit> {
  const id = request.params.id;
  const ifMatch = request.headers.get('if-match') ?? undefined;
  try {
    if (request.method === 'GET') {
      if (!id) {
        const documents = (await api.store.list()).filter((d) => d.kind === kind).sort((a, b) => a.id.localeCompare(b.id));
        return { status: 200, jsonBody: { items: documents.map(documentView) }, headers: { 'cache-control': 'no-store' } };
      }
      const document = await api.store.get(kind, id);
      return document ? { status: 200, jsonBody: documentView(document), headers: { etag: document.etag, 'cache-control': 'no-store' } } : managementError('policy-not-found');
    }
    if (!id || !ID.test(id)) return managementError('request-body-invalid', 'the id in the path is 1-64 lowercase letters, digits and dashes');
    if (request.method === 'DELETE') {
      if (kind === 'location' || kind === 'app') {
        // In use when the configuration without it no longer validates (a policy names it, or a tag only it carries).
        const remaining = (await api.store.list()).filter((d) => !(d.kind === kind && d.id === id));
        const check = validatePolicyConfiguration(configurationDocument(remaining));
        if (!check.ok) return managementError(kind === 'app' ? 'app-in-use' : 'location-in-use', check.issues.map((issue) => issue.path).join(', '), { issues: check.issues });
      }
      await api.store.remove(kind, id, api.actor, ifMatch);
      api.cache.invalidate();
      return { status: 204 };
    }
    const body = await jsonBody(request);
    if (!body.ok) return body.response;
    const withId = typeof body.value === 'object' && body.value !== null && !Array.isArray(body.value) ? { ...body.value, id } : body.value;
    const validated = await validateDocument(kind, withId, api);
    if (!validated.ok) return invalid(validated.issues);
    if (kind === 'app') {
      // Routes must stay unambiguous across apps: check the configuration as it would be.
      const others = (await api.store.list()).filter((d) => !(d.kind === 'app' && d.id === id));
      const check = validatePolicyConfiguration(configurationDocument([...others, { kind: 'app', id, document: validated.value, etag: '', updatedAt: '', updatedBy: '' }]));
      const clashes = check.ok ? [] : check.issues.filter((issue) => issue.code === 'duplicate-app-route');
      if (clashes.length > 0) return invalid(clashes);
    }
    if (kind === 'policy') {
      const refused = await checkGroups(groupReferencesOf([validated.value as AccessPolicy]), api);
      if (refused) return refused;
    }
    const stored = await api.store.put(kind, id, validated.value, api.actor, ifMatch);
    api.cache.invalidate();
    return { status: ifMatch ? 200 : 201, jsonBody: documentView(stored), headers: { etag: stored.etag, 'cache-control': 'no-store' } };
  } catch (error) {
    return storeError(error, api.context);
  }
}

/** GET / PUT (If-Match optional) of the settings document. */
export async function handleSettings(request: HttpRequest, api: ConfigApi): Promise<HttpResponseInit> {
  try {
    if (request.method === 'GET') {
      const stored = await api.store.get('settings', 'settings');
      const parsed = validatePolicySettings(migrateSettingsDocument(stored?.document ?? {}));
      return { status: 200, jsonBody: parsed.ok ? parsed.value : stored?.document, headers: { ...(stored ? { etag: stored.etag } : {}), 'cache-control': 'no-store' } };
    }
    const body = await jsonBody(request);
    if (!body.ok) return body.response;
    const validated = validatePolicySettings(body.value);
    if (!validated.ok) return invalid(validated.issues);
    const stored = await api.store.put('settings', 'settings', validated.value, api.actor, request.headers.get('if-match') ?? '*');
    api.cache.invalidate();
    return { status: 200, jsonBody: validated.value, headers: { etag: stored.etag, 'cache-control': 'no-store' } };
  } catch (error) {
    return storeError(error, api.context);
  }
}

type Change = { kind: ConfigKind; id: string; change: 'add' | 'update' | 'remove' };

/** GET: export the whole configuration (ETag = version stamp). POST: import it (`?dryRun=true` validates and shows the diff only). */
export async function handleConfiguration(request: HttpRequest, api: ConfigApi): Promise<HttpResponseInit> {
  try {
    const documents = await api.store.list();
    const version = await api.store.version();
    if (request.method === 'GET') {
      return { status: 200, jsonBody: configurationDocument(documents), headers: { etag: `"${version}"`, 'cache-control': 'no-store' } };
    }
    const ifMatch = request.headers.get('if-match');
    if (ifMatch && ifMatch.replaceAll('"', '') !== version) return managementError('configuration-changed');
    const body = await jsonBody(request);
    if (!body.ok) return body.response;
    const validated = validatePolicyConfiguration(body.value);
    if (!validated.ok) return invalid(validated.issues);
    const refused = await checkGroups(groupReferencesOf(validated.value.policies, (index) => `policies[${index}]`), api);
    if (refused) return refused;
    const wanted = new Map<string, { kind: ConfigKind; id: string; document: unknown }>();
    for (const registered of validated.value.apps) wanted.set(`app/${registered.id}`, { kind: 'app', id: registered.id, document: registered });
    for (const policy of validated.value.policies) wanted.set(`policy/${policy.id}`, { kind: 'policy', id: policy.id, document: policy });
    for (const location of validated.value.locations) wanted.set(`location/${location.id}`, { kind: 'location', id: location.id, document: location });
    wanted.set('settings/settings', { kind: 'settings', id: 'settings', document: validated.value.settings });
    const existing = new Map(documents.map((d) => [`${d.kind}/${d.id}`, d]));
    const changes: Change[] = [];
    for (const [key, item] of wanted) {
      const before = existing.get(key);
      if (!before) changes.push({ kind: item.kind, id: item.id, change: 'add' });
      else if (JSON.stringify(before.document) !== JSON.stringify(item.document)) changes.push({ kind: item.kind, id: item.id, change: 'update' });
    }
    for (const [key, before] of existing) if (!wanted.has(key)) changes.push({ kind: before.kind, id: before.id, change: 'remove' });
    const dryRun = (request.query.get('dryRun') ?? 'false') !== 'false';
    if (!dryRun) {
      // Locations first (policies refer to them), policies removed before the locations they used.
      const order = (c: Change) => (c.change === 'remove' ? (c.kind === 'policy' ? 2 : 3) : c.kind === 'location' || c.kind === 'app' ? 0 : 1);
      for (const change of [...changes].sort((a, b) => order(a) - order(b))) {
        if (change.change === 'remove') await api.store.remove(change.kind, change.id, api.actor);
        else await api.store.put(change.kind, change.id, wanted.get(`${change.kind}/${change.id}`)?.document, api.actor, change.change === 'add' ? undefined : '*');
      }
      api.cache.invalidate();
    }
    return { status: 200, jsonBody: { dryRun, changes }, headers: { 'cache-control': 'no-store' } };
  } catch (error) {
    return storeError(error, api.context);
  }
}
