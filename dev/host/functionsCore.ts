/**
 * Stands in for `@azure/functions-core`, the module the real Functions worker provides to
 * `@azure/functions`. With it installed, the app's own `app.http(...)` calls register exactly as
 * under the Functions host, and the local host learns every function's name, trigger binding
 * (route, methods, authLevel) and handler. Dev-only; never loaded in Azure.
 * May import: node built-ins.
 */
import Module from 'node:module';

/** One function the app registered. */
export interface RegisteredFunction {
  readonly name: string;
  readonly trigger: {
    readonly type: string;
    readonly route?: string;
    readonly methods?: readonly string[];
    readonly authLevel?: string;
  };
  readonly handler: (...args: unknown[]) => unknown;
}

const registered: RegisteredFunction[] = [];
/** Hooks the app registered (`app.hook.appStart(...)` and the like), in order. */
const hooks: { readonly name: string; readonly callback: (context: unknown) => unknown }[] = [];
let installed = false;
/** What `@azure/functions` logs when `app.setup({ enableHttpStream: true })` ran (pinned 4.16.5; a test checks it). */
const HTTP_STREAM_ENABLED = 'HTTP streaming enabled.';
let httpStream = false;

const core = {
  version: '3.10.1',
  setProgrammingModel(): void {
    /* the local host calls handlers directly, with real HttpRequest / InvocationContext objects */
  },
  getProgrammingModel(): undefined {
    return undefined;
  },
  registerFunction(
    metadata: {
      name: string;
      bindings: Record<
        string,
        { type: string; direction: string; route?: string; methods?: string[]; authLevel?: string }
      >;
    },
    handler: (...args: unknown[]) => unknown,
  ) {
    const trigger = Object.values(metadata.bindings).find((b) => b.direction === 'in' && b.type.endsWith('Trigger'));
    if (!trigger) throw new Error(`function ${metadata.name} has no trigger binding`);
    registered.push({ name: metadata.name, trigger, handler });
    return {
      dispose: () =>
        registered.splice(
          registered.findIndex((f) => f.name === metadata.name),
          1,
        ),
    };
  },
  registerHook(name: string, callback: (context: unknown) => unknown) {
    const hook = { name, callback };
    hooks.push(hook);
    return { dispose: () => hooks.splice(hooks.indexOf(hook), 1) };
  },
  log(level: string, category: string, message: string): void {
    // The library's only sign that app.setup({ enableHttpStream: true }) ran (its flag is not exported).
    if (category === 'system' && message === HTTP_STREAM_ENABLED) httpStream = true;
    if (level === 'error' || level === 'warning') console.error(message);
  },
};

type ModuleLoad = (request: string, parent: unknown, isMain: boolean) => unknown;

/** Makes `require('@azure/functions-core')` resolve to the stand-in; call before importing functions. */
export function installFunctionsCore(): void {
  if (installed) return;
  installed = true;
  const moduleWithLoad = Module as unknown as { _load: ModuleLoad };
  const original = moduleWithLoad._load;
  moduleWithLoad._load = function load(request, parent, isMain) {
    if (request === '@azure/functions-core') return core;
    return original.call(this, request, parent, isMain);
  };
}

/** The functions registered so far. */
export function registeredFunctions(): readonly RegisteredFunction[] {
  return registered;
}

/**
 * Runs the `appStart` hooks the app registered, in order, as the worker does once it has loaded the app; rejects with
 * the first failure.
 */
export async function runAppStartHooks(): Promise<void> {
  for (const hook of hooks.filter((h) => h.name === 'appStart'))
    await hook.callback({ hookData: {}, appHookData: {}, functionAppDirectory: process.cwd() });
}

/**
 * Runs the `appTerminate` hooks, in order, as the worker does before its process stops gracefully (the local
 * stack calls it when it closes, after the host stops serving and before storage goes).
 */
export async function runAppTerminateHooks(): Promise<void> {
  for (const hook of hooks.filter((h) => h.name === 'appTerminate'))
    await hook.callback({ hookData: {}, appHookData: {} });
}

/**
 * Whether the app turned HTTP streams on (`app.setup({ enableHttpStream: true })`): the local host
 * then streams request and response bodies, as the Functions host 4.28+ does.
 */
export function httpStreamEnabled(): boolean {
  return httpStream;
}
