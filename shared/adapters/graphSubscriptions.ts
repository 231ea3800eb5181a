/**
 * certgate's Microsoft Graph change-notification subscriptions: one on `users` (updated, deleted)
 * and one on `groups` (updated, deleted: membership changes arrive as `updated` with
 * `members@delta`), both posting to CERTGATE_GRAPH_NOTIFICATION_URL, with lifecycle notifications
 * to the same URL and the first CERTGATE_GRAPH_NOTIFICATION_CLIENT_STATES entry as clientState.
 *
 * `ensure` is idempotent and runs from the renewal timer and after a lifecycle event: it lists the
 * app's subscriptions, keeps those on our URL, renews any that expire within the renewal window
 * (PATCH expirationDateTime), creates the missing ones (Graph first calls the URL with a
 * validation token: certgate must be reachable), and deletes duplicates. `reauthorize` answers a
 * `reauthorizationRequired` lifecycle event. Graph's limit for users and groups is 41,760 minutes;
 * certgate asks for 4,230 minutes (~3 days) and renews a day ahead, so a lost timer run costs nothing.
 * Errors are thrown as {@link GraphSubscriptionError} with Graph's status and message: off the
 * decision path, the timer logs them and tries again on its next run.
 * May import: @azure/identity (types), ../config.js, ../errors.js, ./graphDirectory.js (credential).
 */
import type { TokenCredential } from '@azure/identity';
import type { AppConfig } from '../config.js';
import { CertgateError, messageOf } from '../errors.js';
import { defaultCredential, graphScope } from './graphDirectory.js';

/** How long a subscription is asked to live, in minutes (Graph allows up to 41,760 for users and groups). */
export const SUBSCRIPTION_MINUTES = 4_230;
/** A subscription expiring sooner than this is renewed. */
export const RENEW_WITHIN_MS = 24 * 3600_000;

/** The subscriptions certgate keeps. */
export const DESIRED_SUBSCRIPTIONS = [
  { resource: 'users', changeType: 'updated,deleted' },
  { resource: 'groups', changeType: 'updated,deleted' },
] as const;

/** A Graph call about subscriptions failed. */
export class GraphSubscriptionError extends CertgateError {
  readonly code = 'graph-subscription-failed';
  constructor(
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Subscription {
  readonly id: string;
  readonly resource: string;
  readonly changeType: string;
  readonly notificationUrl: string;
  readonly expirationDateTime: string;
}

/** What one `ensure` did. */
export interface SubscriptionReport {
  readonly created: readonly string[];
  readonly renewed: readonly string[];
  readonly kept: readonly string[];
  readonly deleted: readonly string[];
}

/** Manages the subscriptions for one configuration. */
export class GraphSubscriptions {
  private readonly credential: TokenCredential;

  constructor(
    private readonly graph: AppConfig['graph'],
    private readonly notifications: AppConfig['graphNotifications'] & { readonly url: string },
    credential?: TokenCredential,
  ) {
    this.credential = credential ?? defaultCredential(graph.baseUrl);
  }

  /** Creates the missing subscriptions, renews the expiring ones, removes duplicates. */
  async ensure(now: Date): Promise<SubscriptionReport> {
    const listed = await this.call<{ value?: Subscription[] }>('GET', '/subscriptions');
    const ours = (listed.value ?? []).filter((s) => s.notificationUrl === this.notifications.url);
    const report = { created: [] as string[], renewed: [] as string[], kept: [] as string[], deleted: [] as string[] };
    for (const desired of DESIRED_SUBSCRIPTIONS) {
      const matching = ours.filter((s) => s.resource.replace(/^\//, '').toLowerCase() === desired.resource);
      const [keep, ...duplicates] = matching.sort(
        (a, b) => Date.parse(b.expirationDateTime) - Date.parse(a.expirationDateTime),
      );
      for (const duplicate of duplicates) {
        await this.call('DELETE', `/subscriptions/${encodeURIComponent(duplicate.id)}`);
        report.deleted.push(duplicate.id);
      }
      if (keep && Date.parse(keep.expirationDateTime) - now.getTime() > RENEW_WITHIN_MS) {
        report.kept.push(keep.id);
      } else if (keep && Date.parse(keep.expirationDateTime) > now.getTime()) {
        await this.renew(keep.id, now);
        report.renewed.push(keep.id);
      } else {
        if (keep) await this.call('DELETE', `/subscriptions/${encodeURIComponent(keep.id)}`).catch(() => undefined);
        const created = await this.call<Subscription>('POST', '/subscriptions', {
          changeType: desired.changeType,
          resource: desired.resource,
          notificationUrl: this.notifications.url,
          lifecycleNotificationUrl: this.notifications.url,
          clientState: this.notifications.clientStates[0],
          expirationDateTime: expiry(now),
        });
        report.created.push(created.id);
      }
    }
    return report;
  }

  /** Extends one subscription's life. */
  async renew(id: string, now: Date): Promise<void> {
    await this.call('PATCH', `/subscriptions/${encodeURIComponent(id)}`, { expirationDateTime: expiry(now) });
  }

  /** Answers a `reauthorizationRequired` lifecycle event: reauthorize, then renew. */
  async reauthorize(id: string, now: Date): Promise<void> {
    await this.call('POST', `/subscriptions/${encodeURIComponent(id)}/reauthorize`);
    await this.renew(id, now);
  }

  private async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    let token: string;
    try {
      const granted = await this.credential.getToken(graphScope(this.graph.baseUrl));
      if (!granted) throw new Error('no token');
      token = granted.token;
    } catch (error) {
      throw new GraphSubscriptionError(`no Graph token: ${messageOf(error)}`, undefined, { cause: error });
    }
    let response: Response;
    try {
      response = await fetch(`${this.graph.baseUrl}/v1.0${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        // Creating a subscription waits for Graph's validation call to certgate (up to 10 s).
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new GraphSubscriptionError(`${method} ${path}: ${messageOf(error)}`, undefined, { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      let detail = text.slice(0, 300);
      try {
        detail = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? detail;
      } catch {
        /* not JSON: the raw text */
      }
      throw new GraphSubscriptionError(
        `${method} ${path}: Graph answered ${response.status}: ${detail}`,
        response.status,
      );
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}

function expiry(now: Date): string {
  return new Date(now.getTime() + SUBSCRIPTION_MINUTES * 60_000).toISOString();
}
