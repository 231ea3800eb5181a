/**
 * Which registered app a request is for. The answer comes from trusted data only: the host and
 * path the gateway saw (the caller passes them only under the gateway proof, else the request's
 * own Host and URL), or an app hint (`?app=` / `X-Certgate-App`) when the admin enabled hints for
 * the proven gateway. The most specific route wins: an exact host over `*.suffix`, then the
 * longest path prefix (whole segments). A request no route claims is `app-unregistered`: the
 * baseline decides it. Compiled once per configuration version; pure.
 * May import: the policy model's types, the request-target normalisation.
 */
import type { RegisteredApp } from './model.js';
import { hostMatches, normaliseHost, normalisePath, normalisePathPrefix, pathUnder } from './requestTarget.js';

/** The app of a request, or why there is none. */
export type AppResolution =
  | { readonly status: 'registered'; readonly id: string; readonly by: 'route' | 'hint'; readonly detail: string }
  | { readonly status: 'app-unregistered'; readonly detail: string };

/** What resolution looks at. */
export interface AppTarget {
  readonly host?: string;
  readonly path?: string;
  /** An app id the forwarder named; only passed when hints are enabled for the proven gateway. */
  readonly hint?: string;
}

interface CompiledRoute {
  readonly appId: string;
  readonly host: string;
  readonly exactHost: boolean;
  readonly prefix: string;
  readonly description: string;
}

/** Registered apps compiled for {@link resolveApp}. */
export interface CompiledApps {
  readonly ids: ReadonlySet<string>;
  /** Most specific first. */
  readonly routes: readonly CompiledRoute[];
  /** Recent resolutions of this configuration (a pure function of the target), oldest first. */
  readonly memo: Map<string, AppResolution>;
}

const MEMO_ENTRIES = 1024;

/** Compiles registered apps (routes sorted most specific first). */
export function compileRegisteredApps(apps: readonly RegisteredApp[]): CompiledApps {
  const routes: CompiledRoute[] = [];
  for (const app of apps) {
    for (const route of app.hosts) {
      const prefix = route.pathPrefix === undefined ? '/' : (normalisePathPrefix(route.pathPrefix) ?? '/');
      routes.push({
        appId: app.id,
        host: route.host.toLowerCase(),
        exactHost: !route.host.startsWith('*.'),
        prefix,
        description: `${route.host}${route.pathPrefix ?? ''}`,
      });
    }
  }
  routes.sort(
    (a, b) =>
      Number(b.exactHost) - Number(a.exactHost) || b.host.length - a.host.length || b.prefix.length - a.prefix.length,
  );
  return { ids: new Set(apps.map((app) => app.id)), routes, memo: new Map() };
}

/** The registered app a request is for (see the module comment). */
export function resolveApp(apps: CompiledApps, target: AppTarget): AppResolution {
  // An empty hint is a hint (unregistered); an absent one is not: the key tells them apart.
  const key = `${target.hint === undefined ? '' : `hint:${target.hint}`}\n${target.host ?? ''}\n${target.path ?? ''}`;
  const hit = apps.memo.get(key);
  if (hit) return hit;
  const resolved = Object.freeze(resolveUncached(apps, target));
  if (apps.memo.size >= MEMO_ENTRIES) apps.memo.delete(apps.memo.keys().next().value as string);
  apps.memo.set(key, resolved);
  return resolved;
}

function resolveUncached(apps: CompiledApps, target: AppTarget): AppResolution {
  if (target.hint !== undefined) {
    const hint = target.hint.trim().toLowerCase();
    return apps.ids.has(hint)
      ? { status: 'registered', id: hint, by: 'hint', detail: `the gateway named app ${hint}` }
      : {
          status: 'app-unregistered',
          detail: `the gateway named app ${JSON.stringify(target.hint.slice(0, 128))}, which is not registered`,
        };
  }
  const host = normaliseHost(target.host);
  if (host === undefined) return { status: 'app-unregistered', detail: 'the request has no usable host' };
  const path = target.path === undefined ? '/' : normalisePath(target.path);
  if (path === null) return { status: 'app-unregistered', detail: 'the request path could not be decoded' };
  for (const route of apps.routes) {
    if (hostMatches(host, route.host) && pathUnder(path, route.prefix)) {
      return {
        status: 'registered',
        id: route.appId,
        by: 'route',
        detail: `${host}${path} is under ${route.description}`,
      };
    }
  }
  return {
    status: 'app-unregistered',
    detail: `no registered app claims ${host}${path.length > 200 ? `${path.slice(0, 200)}…` : path}`,
  };
}
