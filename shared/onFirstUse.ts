/**
 * Modules a function loads on its first call instead of when the host imports the app. The
 * Functions host imports every function module (the bundle's `main.js`) before it serves anything,
 * so whatever a function module imports statically is paid by every cold start, used or not; a
 * function module imports statically only what registering it needs (`@azure/functions`, its
 * route), and its handler takes the rest from `onFirstUse` (the bundle turns each dynamic import
 * into a chunk, scripts/bundle.ts). The loaded modules are kept: after the first call the handler
 * reads `loaded`, with no await. A load that fails is tried again on the next call. Functions on
 * the request path also start their load in the `appStart` hook, so the first request does not wait.
 * May import: nothing.
 */

/** The modules' exports merged into one object (`A & B & …`). */
export type Merged<T extends readonly unknown[]> = T extends readonly [infer Head, ...infer Rest]
  ? Head & Merged<Rest>
  : unknown;

/** Loads the modules once (`await use()`); `use.loaded` is their merged exports once loaded. */
export interface OnFirstUse<T> {
  (): Promise<T>;
  readonly loaded: T | undefined;
}

/**
 * The modules `loads` import, loaded together on the first call and merged into one object. Two
 * modules exporting the same name with different values is a mistake in the list: the load throws.
 */
export function onFirstUse<T extends readonly unknown[]>(
  ...loads: { readonly [K in keyof T]: () => Promise<T[K]> }
): OnFirstUse<Merged<T>> {
  let pending: Promise<Merged<T>> | undefined;
  const state: { loaded: Merged<T> | undefined } = { loaded: undefined };
  const load = async (): Promise<Merged<T>> => {
    const modules = await Promise.all(loads.map((importModule) => importModule()));
    const merged: Record<string, unknown> = {};
    for (const module of modules) {
      for (const [name, value] of Object.entries(module as Record<string, unknown>)) {
        if (name in merged && merged[name] !== value) throw new Error(`onFirstUse: two modules export "${name}"`);
        merged[name] = value;
      }
    }
    state.loaded = merged as Merged<T>;
    return state.loaded;
  };
  const use = (): Promise<Merged<T>> =>
    (pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
  return Object.defineProperty(use, 'loaded', { get: () => state.loaded }) as OnFirstUse<Merged<T>>;
}
