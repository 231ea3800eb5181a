/**
 * The `apps` condition: which app the request is for, by registered app id, host and path prefix.
 * May import: zod, the condition contract, the field schemas, the request-target normalisation.
 */
import { z } from 'zod';
import { defineCondition, defineFact, or, type ConditionResult, type RequestFacts } from '../condition.js';
import { APP_ID, checked, hostName, pathPrefix } from '../fieldSchemas.js';
import { hostMatches, normaliseHost, normalisePath, normalisePathPrefix, pathUnder } from '../requestTarget.js';

/** How an app is recognised; every field given must match (at least one is required). */
export const AppMatcherSchema = z
  .strictObject({
    appId: checked(
      z.string(),
      (value) => APP_ID.test(value),
      'invalid-value',
      'expected an app id (letters, digits, . _ : -, at most 128 characters)',
    ).optional(),
    host: hostName.optional(),
    pathPrefix: pathPrefix.optional(),
  })
  .refine((matcher) => matcher.appId !== undefined || matcher.host !== undefined || matcher.pathPrefix !== undefined, {
    message: 'an app matcher needs appId, host or pathPrefix',
    params: { code: 'empty-app-matcher' },
  });

/** An app matcher. `host` is exact or `*.suffix` (subdomains only); `pathPrefix` matches whole segments. */
export type AppMatcher = z.infer<typeof AppMatcherSchema>;

/** What `apps` reads: the app the request resolved to, and the host and path the gateway saw. */
export interface AppsRequest {
  readonly app: { readonly id?: string; readonly host?: string; readonly path?: string };
}

/** Lower-cased host without port or trailing dot. */
const host = defineFact('host', (request: AppsRequest) => normaliseHost(request.app.host));
/** Normalised path; undefined when absent, null when it cannot be decoded. */
const path = defineFact('path', (request: AppsRequest) =>
  request.app.path === undefined ? undefined : normalisePath(request.app.path),
);

type CompiledMatcher = (facts: RequestFacts<AppsRequest>) => ConditionResult;

function describeMatcher(matcher: AppMatcher): string {
  return [
    matcher.appId && `appId ${matcher.appId}`,
    matcher.host && `host ${matcher.host}`,
    matcher.pathPrefix && `path ${matcher.pathPrefix}`,
  ]
    .filter(Boolean)
    .join(', ');
}

/** Every field given must match; a field the request does not carry does not match. */
function compileAppMatcher(matcher: AppMatcher): CompiledMatcher {
  const appId = matcher.appId?.toLowerCase();
  const wantedHost = matcher.host?.toLowerCase();
  const prefix = matcher.pathPrefix === undefined ? undefined : normalisePathPrefix(matcher.pathPrefix);
  return (facts) => {
    let result: ConditionResult = 'match';
    if (appId !== undefined && facts.request.app.id?.toLowerCase() !== appId) return 'no-match';
    if (wantedHost !== undefined) {
      const requestHost = facts.get(host);
      if (requestHost === undefined) return 'no-match';
      if (!hostMatches(requestHost, wantedHost)) return 'no-match';
    }
    if (prefix !== undefined && prefix !== null) {
      const requestPath = facts.get(path);
      if (requestPath === undefined) return 'no-match';
      if (requestPath === null) result = 'unknown';
      else if (!pathUnder(requestPath, prefix)) return 'no-match';
    }
    return result;
  };
}

/** The `apps` condition. */
export const apps = defineCondition<AppsRequest>()({
  name: 'apps',
  schema: z.strictObject({
    include: z.union([z.literal('all'), z.array(AppMatcherSchema).min(1).max(100)]),
    exclude: z.array(AppMatcherSchema).max(100).optional(),
  }),
  reads: ['app'],
  compile(condition) {
    const include =
      condition.include === 'all'
        ? 'all'
        : condition.include.map((matcher) => [describeMatcher(matcher), compileAppMatcher(matcher)] as const);
    const exclude = (condition.exclude ?? []).map(
      (matcher) => [describeMatcher(matcher), compileAppMatcher(matcher)] as const,
    );
    return (facts) => {
      let included: ConditionResult = 'no-match';
      let includedBy = 'all apps';
      if (include === 'all') included = 'match';
      else {
        for (const [description, matcher] of include) {
          const result = matcher(facts);
          if (result === 'match') {
            included = 'match';
            includedBy = description;
            break;
          }
          included = or(included, result);
        }
      }
      if (included === 'no-match') return { result: 'no-match', detail: 'the request matches no included app' };
      for (const [description, matcher] of exclude) {
        const result = matcher(facts);
        if (result === 'match') return { result: 'no-match', detail: `excluded app (${description})` };
        if (result === 'unknown') included = 'unknown';
      }
      if (included === 'unknown') return { result: 'unknown', detail: 'the request path could not be decoded' };
      return { result: 'match', detail: `included app (${includedBy})` };
    };
  },
  references(condition, catalogue) {
    const appIds = catalogue.appIds;
    if (!appIds) return [];
    const sides = [
      ['include', condition.include === 'all' ? [] : condition.include],
      ['exclude', condition.exclude ?? []],
    ] as const;
    return sides.flatMap(([side, matchers]) =>
      matchers.flatMap((matcher, index) =>
        matcher.appId !== undefined && !appIds.has(matcher.appId.toLowerCase())
          ? [
              {
                path: `${side}[${index}].appId`,
                code: 'unknown-app' as const,
                message: `no registered app has the id ${matcher.appId}`,
              },
            ]
          : [],
      ),
    );
  },
  example: { include: [{ host: 'portal.contoso.example', pathPrefix: '/admin' }] },
  docs: {
    shape:
      '`{ include: AppMatcher[] \\| "all", exclude?: AppMatcher[] }`, `AppMatcher = { appId?, host?, pathPrefix? }`',
    matchesWhen:
      "an include matcher matches and no exclude matcher does. Every field a matcher gives must match. `appId` is a registered app's id (checked when saved: `unknown-app`), compared with the app the request resolved to. `host` is exact or `*.suffix` (subdomains, not the apex), case-insensitive, port and trailing dot ignored. `pathPrefix` matches whole segments (`/admin` matches `/admin`, `/admin/x`, not `/administrator`) on the normalised path: query dropped, percent-decoded, `\\` as `/`, `//` collapsed, `.`/`..` resolved, case-insensitive. A field the request does not carry does not match.",
  },
});
