/**
 * The {@link Directory} port on Microsoft Graph, through `@microsoft/microsoft-graph-client` with a
 * `@azure/identity` credential (managed identity in Azure, any DefaultAzureCredential source
 * elsewhere; the local stack's stand-in through EnvironmentCredential).
 *
 * Decision path (`answer`): never waits for a retry. The client's middleware chain has no
 * RetryHandler; every call has a deadline (`options.timeoutMs`, else `graph.timeoutMs`) that aborts
 * it, token acquisition included. One question is one request, 2–20 are one JSON batch; every
 * failure is a {@link DirectoryError} with `retryAfterSeconds` from Retry-After, for the caller's
 * cache and circuit breaker to act on.
 * Off the decision path (`findGroups`, `listConditionalAccessPolicies`): transient failures are
 * retried, honouring Retry-After, within a bound (./graphRetry.ts).
 * Answers are checked against Graph's shapes (./graphAnswers.ts): a malformed one is `unavailable`.
 * Connections are kept alive (Node's fetch pools them per origin).
 * Credential: DefaultAzureCredential unless one is passed. It reads AZURE_* variables itself, partly
 * only when it first asks for a token, so they must not change after start-up. Against the local
 * stand-in (a loopback base URL) instance discovery is off, see {@link defaultCredential}.
 * May import: @microsoft/microsoft-graph-client, @azure/identity, ../config.js, ../ports.js, ./graph*.js.
 */
import { DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  GraphError,
  HTTPMessageHandler,
  ResponseType,
  TelemetryHandler,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials/index.js';
import type { AppConfig } from '../config.js';
import {
  DIRECTORY_BATCH_LIMIT,
  DirectoryError,
  MEMBER_GROUPS_LIMIT,
  type ConditionalAccessPolicy,
  type Directory,
  type DirectoryOutcome,
  type DirectoryQuestion,
} from '../ports.js';
import {
  DEVICE_PROPERTIES,
  readBatch,
  readCertificateUserIds,
  readDevice,
  readGroup,
  readMemberGroups,
  readPolicyPage,
} from './graphAnswers.js';
import {
  directoryErrorForStatus,
  graphErrorDetail,
  isTransientDirectoryError,
  parseRetryAfter,
} from './graphErrors.js';
import { withRetries } from './graphRetry.js';
import { messageOf } from '../errors.js';

/** A Conditional Access listing longer than this many pages is treated as a broken `@odata.nextLink` chain. */
export const MAX_POLICY_PAGES = 500;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Name given to credential failures, so they can be told apart once the Graph client has wrapped them. */
const TOKEN_FAILURE = 'GraphTokenUnavailable';

/** Whether the Graph base URL is a loopback origin (the local stand-in). */
function isLoopback(baseUrl: string): boolean {
  const host = new URL(baseUrl).hostname;
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The credential when none is given: DefaultAzureCredential (managed identity in Azure). For a
 * loopback Graph (the local stand-in, which also plays login.microsoftonline.com) instance
 * discovery is switched off: MSAL sends it to login.microsoftonline.com whatever the authority
 * host, which the local stack must never reach.
 */
export function defaultCredential(baseUrl: string): TokenCredential {
  return isLoopback(baseUrl)
    ? new DefaultAzureCredential({ disableInstanceDiscovery: true })
    : new DefaultAzureCredential();
}

/** The `.default` scope of the Graph instance (national clouds have their own); the stand-in takes the global one. */
export function graphScope(baseUrl: string): string {
  return isLoopback(baseUrl) ? 'https://graph.microsoft.com/.default' : `${baseUrl}/.default`;
}

/** One Graph request, relative to the version (`/users/…`), or an absolute `@odata.nextLink`. */
interface GraphCall {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
}

/** What came back: status, Retry-After in seconds, and the body as JSON when it was JSON. */
interface GraphReply {
  readonly status: number;
  readonly retryAfterSeconds: number | undefined;
  readonly body: { readonly json: true; readonly value: unknown } | { readonly json: false };
}

function parseJson(text: string): GraphReply['body'] {
  try {
    return { json: true, value: JSON.parse(text) as unknown };
  } catch {
    return { json: false };
  }
}

function describe(question: DirectoryQuestion): string {
  switch (question.kind) {
    case 'member-groups':
      return `checkMemberGroups for user ${question.userId}`;
    case 'device':
      return `device ${question.deviceId}`;
    case 'certificate-user-ids':
      return `certificateUserIds of user ${question.userId}`;
  }
}

/** The request answering a question. */
function callFor(question: DirectoryQuestion): GraphCall {
  switch (question.kind) {
    case 'member-groups':
      return {
        method: 'POST',
        path: `/users/${encodeURIComponent(question.userId)}/checkMemberGroups`,
        body: { groupIds: question.groupIds },
      };
    case 'device':
      return {
        method: 'GET',
        path: `/devices?$filter=${encodeURIComponent(`deviceId eq '${question.deviceId}'`)}&$select=${DEVICE_PROPERTIES.join(',')}`,
      };
    case 'certificate-user-ids':
      return { method: 'GET', path: `/users/${encodeURIComponent(question.userId)}?$select=authorizationInfo` };
  }
}

function failed(error: DirectoryError): DirectoryOutcome {
  return { ok: false, error };
}

/** Questions answered without Graph: nothing to ask, or asked wrongly (a caller's bug, reported as `invalid`). */
function answerLocally(question: DirectoryQuestion): DirectoryOutcome | undefined {
  switch (question.kind) {
    case 'member-groups': {
      if (question.userId.trim() === '')
        return failed(new DirectoryError('invalid', 'checkMemberGroups: empty user id'));
      if (question.groupIds.length > MEMBER_GROUPS_LIMIT) {
        return failed(
          new DirectoryError(
            'invalid',
            `checkMemberGroups takes at most ${MEMBER_GROUPS_LIMIT} group ids, got ${question.groupIds.length}`,
          ),
        );
      }
      const malformed = question.groupIds.find((id) => !GUID.test(id));
      if (malformed !== undefined)
        return failed(
          new DirectoryError('invalid', `checkMemberGroups: "${malformed}" is not a group object id (GUID)`),
        );
      return question.groupIds.length === 0 ? { ok: true, value: [] } : undefined;
    }
    case 'device':
      return GUID.test(question.deviceId)
        ? undefined
        : failed(new DirectoryError('invalid', `"${question.deviceId}" is not an Entra device id (GUID)`));
    case 'certificate-user-ids':
      return question.userId.trim() === ''
        ? failed(new DirectoryError('invalid', 'certificateUserIds: empty user id'))
        : undefined;
  }
}

/** Maps Graph's reply to one question onto its outcome. */
function outcomeOf(question: DirectoryQuestion, reply: GraphReply): DirectoryOutcome {
  const what = describe(question);
  try {
    if (reply.status === 200) {
      if (!reply.body.json)
        throw new DirectoryError('unavailable', `Graph ${what}: the answer is not JSON`, undefined, 200);
      const body = reply.body.value;
      switch (question.kind) {
        case 'member-groups':
          return { ok: true, value: readMemberGroups(body, question.groupIds) };
        case 'device':
          return { ok: true, value: readDevice(body, question.deviceId) };
        case 'certificate-user-ids':
          return { ok: true, value: readCertificateUserIds(body) };
      }
    }
    const errorBody = reply.body.json ? reply.body.value : undefined;
    if (reply.status === 404 && graphErrorDetail(errorBody).code === 'Request_ResourceNotFound') {
      // An unknown user: a member of no group, with no certificate user ids.
      if (question.kind === 'member-groups') return { ok: true, value: [] };
      if (question.kind === 'certificate-user-ids') return { ok: true, value: null };
    }
    return failed(directoryErrorForStatus(reply.status, reply.retryAfterSeconds, errorBody, what));
  } catch (error) {
    if (error instanceof DirectoryError) return failed(error);
    throw error;
  }
}

/**
 * The error a batch fails with, of its items' errors: a lasting one (denied, invalid) first, since
 * another try cannot fix it; else the transient one that asks for the longest wait.
 */
function batchFailure(failures: readonly DirectoryError[]): DirectoryError | undefined {
  const lasting = failures.find((failure): boolean => !isTransientDirectoryError(failure));
  if (lasting !== undefined) return lasting;
  let longest: DirectoryError | undefined;
  for (const failure of failures) {
    if (longest === undefined || (failure.retryAfterSeconds ?? 0) > (longest.retryAfterSeconds ?? 0)) longest = failure;
  }
  return longest;
}

function withCause(error: DirectoryError, cause: unknown): DirectoryError {
  error.cause = cause;
  return error;
}

/** Microsoft Graph behind the {@link Directory} port. */
class GraphDirectory implements Directory {
  private readonly client: Client;
  private readonly origin: string;

  constructor(
    private readonly graph: AppConfig['graph'],
    credential: TokenCredential,
  ) {
    this.origin = new URL(graph.baseUrl).origin;
    const tokens: TokenCredential = {
      getToken: async (scopes, options) => {
        try {
          return await credential.getToken(scopes, options);
        } catch (error) {
          const failure = new Error(messageOf(error), { cause: error });
          failure.name = TOKEN_FAILURE;
          throw failure;
        }
      },
    };
    this.client = Client.initWithMiddleware({
      baseUrl: `${graph.baseUrl}/`,
      customHosts: new Set([new URL(graph.baseUrl).hostname]),
      // No RetryHandler: the decision path cannot wait, and off-path calls retry in withRetries.
      // No RedirectHandler: Graph does not redirect these calls, and a redirect must not carry the token.
      middleware: [
        new AuthenticationHandler(
          new TokenCredentialAuthenticationProvider(tokens, { scopes: [graphScope(graph.baseUrl)] }),
        ),
        new TelemetryHandler(),
        new HTTPMessageHandler(),
      ],
      fetchOptions: { redirect: 'error' },
    });
  }

  async answer(
    questions: readonly DirectoryQuestion[],
    options?: { readonly timeoutMs?: number },
  ): Promise<DirectoryOutcome[]> {
    if (questions.length > DIRECTORY_BATCH_LIMIT) {
      throw new DirectoryError(
        'invalid',
        `at most ${DIRECTORY_BATCH_LIMIT} directory questions go in one round trip, got ${questions.length}`,
      );
    }
    const timeoutMs = options?.timeoutMs ?? this.graph.timeoutMs;
    const outcomes = questions.map(answerLocally);
    const pending = outcomes.flatMap((outcome, index) => (outcome === undefined ? [index] : []));
    const only = pending.length === 1 ? pending[0] : undefined;
    if (only !== undefined) {
      const question = questions[only] as DirectoryQuestion;
      outcomes[only] = outcomeOf(question, await this.send(callFor(question), timeoutMs, describe(question)));
    } else if (pending.length > 1) {
      const requests = pending.map((index) => {
        const call = callFor(questions[index] as DirectoryQuestion);
        return {
          id: String(index),
          method: call.method,
          url: call.path,
          ...(call.body === undefined ? {} : { body: call.body, headers: { 'Content-Type': 'application/json' } }),
        };
      });
      const answers = readBatch(
        await this.expectJson({ method: 'POST', path: '/$batch', body: { requests } }, timeoutMs, '$batch'),
      );
      for (const index of pending) {
        const question = questions[index] as DirectoryQuestion;
        const inner = answers.get(String(index));
        outcomes[index] =
          inner === undefined
            ? failed(new DirectoryError('unavailable', `Graph $batch: no answer for ${describe(question)}`))
            : outcomeOf(question, {
                status: inner.status,
                retryAfterSeconds: parseRetryAfter(inner.headers.get('retry-after'), new Date()),
                // Graph inlines JSON bodies and base64-encodes others: a string is not an answer certgate can read.
                body:
                  typeof inner.body === 'string' || inner.body === undefined
                    ? { json: false }
                    : { json: true, value: inner.body },
              });
      }
    }
    return outcomes as DirectoryOutcome[];
  }

  /**
   * `GET /groups/{id}?$select=id,displayName` for each id, 20 to a JSON batch, one batch after the
   * other (GroupMember.Read.All suffices; `directoryObjects/getByIds` would need Directory.Read.All).
   * 404 `Request_ResourceNotFound`: not a group (a user, a device, nothing). A throttled or failing
   * item makes its batch fail transiently, and the batch is retried within the off-path bound.
   */
  async findGroups(ids: readonly string[]): Promise<ReadonlyMap<string, string>> {
    // Only GUIDs can be object ids: anything else is no group, and costs no call.
    const asGiven = new Map<string, string>();
    for (const id of ids) {
      if (GUID.test(id) && !asGiven.has(id.toLowerCase())) asGiven.set(id.toLowerCase(), id);
    }
    const keys = [...asGiven.keys()];
    const found = new Map<string, string>();
    for (let start = 0; start < keys.length; start += DIRECTORY_BATCH_LIMIT) {
      const chunk = keys.slice(start, start + DIRECTORY_BATCH_LIMIT);
      const groups = await withRetries((timeoutMs) => this.readGroups(chunk, timeoutMs));
      for (const [key, displayName] of groups) {
        const id = asGiven.get(key);
        if (id !== undefined) found.set(id, displayName);
      }
    }
    return found;
  }

  /**
   * One batch of group reads: found group id (lowercase) → display name. Any item that is neither
   * 200 nor a 404 `Request_ResourceNotFound` fails the whole batch: a lasting failure (denied,
   * invalid) before a transient one, so that nothing is retried that cannot succeed, and of several
   * throttled items the longest Retry-After.
   */
  private async readGroups(chunk: readonly string[], timeoutMs: number): Promise<Map<string, string>> {
    const requests = chunk.map((id, index) => ({
      id: String(index),
      method: 'GET',
      url: `/groups/${encodeURIComponent(id)}?$select=id,displayName`,
    }));
    const answers = readBatch(
      await this.expectJson({ method: 'POST', path: '/$batch', body: { requests } }, timeoutMs, '$batch groups/{id}'),
    );
    const groups = new Map<string, string>();
    const failures: DirectoryError[] = [];
    chunk.forEach((id, index) => {
      const inner = answers.get(String(index));
      if (inner === undefined) {
        failures.push(new DirectoryError('unavailable', `Graph $batch: no answer for group ${id}`));
        return;
      }
      // Graph inlines JSON bodies and base64-encodes others: a string is not an answer certgate can read.
      const body = typeof inner.body === 'string' ? undefined : inner.body;
      if (inner.status === 404 && graphErrorDetail(body).code === 'Request_ResourceNotFound') return;
      if (inner.status !== 200) {
        failures.push(
          directoryErrorForStatus(
            inner.status,
            parseRetryAfter(inner.headers.get('retry-after'), new Date()),
            body,
            `groups/${id}`,
          ),
        );
        return;
      }
      try {
        const group = readGroup(body);
        groups.set(group.id, group.displayName);
      } catch (error) {
        if (!(error instanceof DirectoryError)) throw error;
        failures.push(error);
      }
    });
    const failure = batchFailure(failures);
    if (failure !== undefined) throw failure;
    return groups;
  }

  async listConditionalAccessPolicies(): Promise<ConditionalAccessPolicy[]> {
    const policies: ConditionalAccessPolicy[] = [];
    let next: string | undefined = '/identity/conditionalAccess/policies';
    for (let pages = 0; next !== undefined; pages += 1) {
      if (pages >= MAX_POLICY_PAGES)
        throw new DirectoryError(
          'unavailable',
          `Graph conditionalAccess/policies: more than ${MAX_POLICY_PAGES} pages`,
        );
      const path: string = next;
      const page = await withRetries(async (timeoutMs) =>
        readPolicyPage(await this.expectJson({ method: 'GET', path }, timeoutMs, 'conditionalAccess/policies')),
      );
      policies.push(...page.policies);
      next = page.nextLink === undefined ? undefined : this.checkedNextLink(page.nextLink);
    }
    return policies;
  }

  /** A next link stays on the Graph origin: the token must never go anywhere else. */
  private checkedNextLink(link: string): string {
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      throw new DirectoryError(
        'unavailable',
        `Graph conditionalAccess/policies: @odata.nextLink is not a URL: ${link}`,
      );
    }
    if (url.origin !== this.origin)
      throw new DirectoryError(
        'unavailable',
        `Graph conditionalAccess/policies: @odata.nextLink leaves ${this.origin}: ${url.origin}`,
      );
    return url.href;
  }

  /** Sends a call that must answer 200 with JSON; anything else is thrown as a DirectoryError. */
  private async expectJson(call: GraphCall, timeoutMs: number, what: string): Promise<unknown> {
    const reply = await this.send(call, timeoutMs, what);
    const body = reply.body.json ? reply.body.value : undefined;
    if (reply.status !== 200) throw directoryErrorForStatus(reply.status, reply.retryAfterSeconds, body, what);
    if (!reply.body.json)
      throw new DirectoryError('unavailable', `Graph ${what}: the answer is not JSON`, undefined, 200);
    return body;
  }

  /** One round trip within `timeoutMs` (token included); rejects with a DirectoryError when no HTTP answer came. */
  private async send(call: GraphCall, timeoutMs: number, what: string): Promise<GraphReply> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new DirectoryError('timeout', `Graph ${what}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    const exchange = async (): Promise<GraphReply> => {
      try {
        const request = this.client.api(call.path).responseType(ResponseType.RAW).option('signal', controller.signal);
        const response = (call.method === 'GET' ? await request.get() : await request.post(call.body)) as Response;
        const text = await response.text();
        return {
          status: response.status,
          retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after'), new Date()),
          body: parseJson(text),
        };
      } catch (error) {
        if (controller.signal.aborted)
          throw withCause(new DirectoryError('timeout', `Graph ${what}: no answer within ${timeoutMs} ms`), error);
        if (error instanceof GraphError && error.code === TOKEN_FAILURE) {
          throw withCause(
            new DirectoryError('unavailable', `Graph ${what}: no access token (${error.message})`),
            error,
          );
        }
        throw withCause(new DirectoryError('unavailable', `Graph ${what}: ${messageOf(error)}`), error);
      }
    };
    try {
      return await Promise.race([exchange(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The directory on Microsoft Graph at `graph.baseUrl`, signing in with `credential` (default:
 * DefaultAzureCredential, which is the managed identity in Azure).
 */
export function createGraphDirectory(graph: AppConfig['graph'], credential?: TokenCredential): Directory {
  return new GraphDirectory(graph, credential ?? defaultCredential(graph.baseUrl));
}
