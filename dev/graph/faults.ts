/**
 * The Graph stand-in's fault switches: throttling (429 with Retry-After), server errors (500 / 503 /
 * 504), latency and malformed answers, each for a time window, a number of requests or until
 * cleared, on every Graph route or on named ones. Faults apply to Graph requests only (never to the
 * token endpoint) and, inside a JSON batch, to each inner request; the `$batch` envelope itself is
 * affected only when a fault names the `batch` route. Settable in code and over HTTP as JSON.
 * Dev and test only.
 * May import: zod.
 */
import { z } from 'zod';

/** The Graph routes the stand-in serves, by name (used by faults and by the call counters). */
export const GRAPH_ROUTES = [
  'checkMemberGroups',
  'devices',
  'user',
  'group',
  'conditionalAccessPolicies',
  'batch',
] as const;

/** One Graph route of the stand-in. */
export type GraphRouteName = (typeof GRAPH_ROUTES)[number];

const Scope = {
  /** How long the fault lasts, from when it is set. */
  forSeconds: z.number().positive().optional(),
  /** How many affected requests it answers before it ends. */
  requests: z.number().int().positive().optional(),
  /** Only these routes (default: every route but the `$batch` envelope). */
  routes: z.array(z.enum(GRAPH_ROUTES)).min(1).optional(),
};

/** The fault settings, as `faults.set` and `PUT /_standin/faults` take them. */
export const GraphFaultSettingsSchema = z
  .object({
    /** 429 TooManyRequests with `Retry-After` (default: the seconds left in the window, else 1). */
    throttle: z
      .object({ ...Scope, retryAfterSeconds: z.number().int().min(0).optional() })
      .strict()
      .optional(),
    /** A server error; `Retry-After` only when `retryAfterSeconds` is given. */
    serverError: z
      .object({
        ...Scope,
        status: z.union([z.literal(500), z.literal(503), z.literal(504)]).default(503),
        retryAfterSeconds: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    /** Delay before answering. */
    latency: z
      .object({ ...Scope, delayMs: z.number().int().min(0).max(120_000) })
      .strict()
      .optional(),
    /** A 200 whose JSON body is cut off. */
    malformed: z.object(Scope).strict().optional(),
  })
  .strict();

/** Fault settings (see {@link GraphFaultSettingsSchema}). */
export type GraphFaultSettings = z.input<typeof GraphFaultSettingsSchema>;

type FaultName = 'throttle' | 'serverError' | 'latency' | 'malformed';

interface ActiveFault<T> {
  readonly settings: T;
  readonly until: number | undefined;
  remaining: number | undefined;
}

/** What the stand-in does to one request: the fault answer (if any) and a delay before it. */
export interface FaultVerdict {
  readonly delayMs: number;
  readonly answer?:
    | { readonly kind: 'throttle'; readonly retryAfterSeconds: number }
    | {
        readonly kind: 'server-error';
        readonly status: 500 | 503 | 504;
        readonly retryAfterSeconds: number | undefined;
      }
    | { readonly kind: 'malformed' };
}

type Parsed = z.output<typeof GraphFaultSettingsSchema>;

/** The fault switches of one stand-in. `now` is injectable so a test can move time. */
export class GraphFaults {
  private active: { [K in FaultName]?: ActiveFault<NonNullable<Parsed[K]>> } = {};

  constructor(private readonly now: () => number = Date.now) {}

  /** Sets the given faults (others stay as they are); throws on invalid settings. */
  set(settings: GraphFaultSettings): void {
    const parsed = GraphFaultSettingsSchema.parse(settings);
    const start = this.now();
    for (const name of ['throttle', 'serverError', 'latency', 'malformed'] as const) {
      const fault = parsed[name];
      if (fault === undefined) continue;
      this.active = {
        ...this.active,
        [name]: {
          settings: fault,
          until: fault.forSeconds === undefined ? undefined : start + fault.forSeconds * 1000,
          remaining: fault.requests,
        },
      };
    }
  }

  /** Ends every fault. */
  clear(): void {
    this.active = {};
  }

  /** The faults still in force, as settings (`forSeconds` and `requests` are what is left). */
  current(): GraphFaultSettings {
    const now = this.now();
    const result: Record<string, unknown> = {};
    for (const name of ['throttle', 'serverError', 'latency', 'malformed'] as const) {
      const fault = this.live(name, now);
      if (fault === undefined) continue;
      result[name] = {
        ...fault.settings,
        ...(fault.until === undefined ? {} : { forSeconds: (fault.until - now) / 1000 }),
        ...(fault.remaining === undefined ? {} : { requests: fault.remaining }),
      };
    }
    return result;
  }

  /** Decides what happens to one request on `route`; consumes a request of each fault that applies. */
  verdictFor(route: GraphRouteName): FaultVerdict {
    const now = this.now();
    const latency = this.take('latency', route, now);
    const delayMs = latency?.settings.delayMs ?? 0;
    const throttle = this.take('throttle', route, now);
    if (throttle !== undefined) {
      const left = throttle.until === undefined ? 1 : Math.max(1, Math.ceil((throttle.until - now) / 1000));
      return { delayMs, answer: { kind: 'throttle', retryAfterSeconds: throttle.settings.retryAfterSeconds ?? left } };
    }
    const serverError = this.take('serverError', route, now);
    if (serverError !== undefined) {
      return {
        delayMs,
        answer: {
          kind: 'server-error',
          status: serverError.settings.status,
          retryAfterSeconds: serverError.settings.retryAfterSeconds,
        },
      };
    }
    if (this.take('malformed', route, now) !== undefined) return { delayMs, answer: { kind: 'malformed' } };
    return { delayMs };
  }

  private live<K extends FaultName>(name: K, now: number): ActiveFault<NonNullable<Parsed[K]>> | undefined {
    const fault = this.active[name];
    if (fault === undefined) return undefined;
    if ((fault.until !== undefined && now >= fault.until) || fault.remaining === 0) {
      this.active = { ...this.active, [name]: undefined };
      return undefined;
    }
    return fault;
  }

  private take<K extends FaultName>(
    name: K,
    route: GraphRouteName,
    now: number,
  ): ActiveFault<NonNullable<Parsed[K]>> | undefined {
    const fault = this.live(name, now);
    if (fault === undefined) return undefined;
    const routes = fault.settings.routes;
    const applies = routes === undefined ? route !== 'batch' : routes.includes(route);
    if (!applies) return undefined;
    if (fault.remaining !== undefined) fault.remaining -= 1;
    return fault;
  }
}
