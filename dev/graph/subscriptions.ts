/**
 * The stand-in's change-notification subscriptions, as Graph keeps them: `POST /subscriptions`
 * validates the notification URL first (a POST with `?validationToken=` that must echo the token
 * as text/plain with 200 within 10 s, else 400 `InvalidRequest`), `GET /subscriptions` lists the
 * caller's, `PATCH /subscriptions/{id}` renews (`expirationDateTime`), `DELETE` removes,
 * `POST /subscriptions/{id}/reauthorize` answers 204. A directory edit (the control route
 * `/_standin/directory/membership`) notifies every live subscription on its resource with Graph's
 * payload: `{ value: [{ subscriptionId, clientState, changeType, resource, resourceData, tenantId,
 * subscriptionExpirationDateTime }] }`, with `members@delta` for group membership changes.
 * Only users and groups can be subscribed to (as in Graph v1.0 for directory objects), lifetime at
 * most 41,760 minutes. Dev and test only.
 * May import: node built-ins, ../../shared/errors.js.
 */
import { randomUUID } from 'node:crypto';
import { messageOf } from '../../shared/errors.js';

/** Graph's most a users / groups subscription may live, in minutes. */
export const MAX_SUBSCRIPTION_MINUTES = 41_760;

/** One subscription, as Graph returns it. */
export interface StandInSubscription {
  readonly id: string;
  readonly resource: 'users' | 'groups';
  readonly changeType: string;
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl?: string;
  readonly clientState?: string;
  expirationDateTime: string;
  readonly applicationId: string;
}

/** An answer in Graph's shape. */
export interface SubscriptionAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** A notification the stand-in sent, and what the receiver said (for tests). */
export interface SentNotification {
  readonly url: string;
  readonly status: number | 'failed';
  readonly body: unknown;
}

function error(status: number, code: string, message: string): SubscriptionAnswer {
  return {
    status,
    body: { error: { code, message, innerError: { 'request-id': randomUUID(), date: new Date().toISOString() } } },
  };
}

/** The stand-in's subscriptions and the notifications it sends. */
export class StandInSubscriptions {
  private readonly subscriptions = new Map<string, StandInSubscription>();
  readonly sent: SentNotification[] = [];

  constructor(
    private readonly tenantId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** `/subscriptions…` requests; undefined when the path is not one of them. */
  async serve(
    method: string,
    path: string,
    body: unknown,
    applicationId: string,
  ): Promise<SubscriptionAnswer | undefined> {
    const match = /^\/subscriptions(?:\/([^/]+))?(\/reauthorize)?$/i.exec(path);
    if (!match) return undefined;
    const [, id, reauthorize] = match;
    if (id === undefined) {
      if (method === 'GET')
        return {
          status: 200,
          body: { value: [...this.subscriptions.values()].filter((s) => s.applicationId === applicationId) },
        };
      if (method === 'POST') return this.create(body, applicationId);
      return error(405, 'Request_BadRequest', `${method} is not allowed on /subscriptions.`);
    }
    const subscription = this.subscriptions.get(id);
    if (!subscription || subscription.applicationId !== applicationId)
      return error(404, 'ResourceNotFound', `The object was not found: subscription ${id}.`);
    if (reauthorize)
      return method === 'POST' ? { status: 204, body: undefined } : error(405, 'Request_BadRequest', 'POST only.');
    if (method === 'GET') return { status: 200, body: subscription };
    if (method === 'DELETE') {
      this.subscriptions.delete(id);
      return { status: 204, body: undefined };
    }
    if (method === 'PATCH') {
      const expiry = this.expiry((body as Record<string, unknown> | undefined)?.expirationDateTime);
      if (typeof expiry !== 'string') return expiry;
      subscription.expirationDateTime = expiry;
      return { status: 200, body: subscription };
    }
    return error(405, 'Request_BadRequest', `${method} is not allowed on a subscription.`);
  }

  /** Live subscriptions (tests). */
  list(): readonly StandInSubscription[] {
    return [...this.subscriptions.values()];
  }

  /** Drops every subscription as Graph does when it removes one (tests send the lifecycle event themselves). */
  remove(id: string): void {
    this.subscriptions.delete(id);
  }

  /** Sends a change of `resource` (`users` / `groups`) to every live subscription on it; resolves when all answered. */
  async notify(
    resource: 'users' | 'groups',
    change: { id: string; changeType: string; resourceData: Record<string, unknown> },
  ): Promise<void> {
    const now = this.now();
    const due = [...this.subscriptions.values()].filter(
      (s) =>
        s.resource === resource &&
        Date.parse(s.expirationDateTime) > now.getTime() &&
        s.changeType.split(',').includes(change.changeType),
    );
    await Promise.all(
      due.map(async (subscription) => {
        const body = {
          value: [
            {
              subscriptionId: subscription.id,
              ...(subscription.clientState === undefined ? {} : { clientState: subscription.clientState }),
              changeType: change.changeType,
              resource: `${resource === 'users' ? 'Users' : 'Groups'}/${change.id}`,
              resourceData: { id: change.id, ...change.resourceData },
              subscriptionExpirationDateTime: subscription.expirationDateTime,
              tenantId: this.tenantId,
            },
          ],
        };
        await this.post(subscription.notificationUrl, body);
      }),
    );
  }

  private async create(body: unknown, applicationId: string): Promise<SubscriptionAnswer> {
    const request = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const { resource, changeType, notificationUrl, lifecycleNotificationUrl, clientState } = request;
    if (typeof resource !== 'string' || !/^\/?(users|groups)$/i.test(resource))
      return error(
        400,
        'InvalidRequest',
        `Subscriptions to '${String(resource)}' are not supported by the stand-in (users, groups).`,
      );
    if (
      typeof changeType !== 'string' ||
      !changeType.split(',').every((t) => ['created', 'updated', 'deleted'].includes(t))
    )
      return error(400, 'InvalidRequest', 'changeType must be a comma-separated list of created, updated, deleted.');
    if (typeof notificationUrl !== 'string') return error(400, 'InvalidRequest', 'notificationUrl is required.');
    if (clientState !== undefined && (typeof clientState !== 'string' || clientState.length > 128))
      return error(400, 'InvalidRequest', 'clientState must be a string of at most 128 characters.');
    const expiry = this.expiry(request.expirationDateTime);
    if (typeof expiry !== 'string') return expiry;
    for (const url of [
      notificationUrl,
      ...(typeof lifecycleNotificationUrl === 'string' ? [lifecycleNotificationUrl] : []),
    ]) {
      const failure = await this.validate(url);
      if (failure) return error(400, 'InvalidRequest', `Subscription validation request failed: ${failure}`);
    }
    const subscription: StandInSubscription = {
      id: randomUUID(),
      resource: resource.replace(/^\//, '').toLowerCase() as 'users' | 'groups',
      changeType,
      notificationUrl,
      ...(typeof lifecycleNotificationUrl === 'string' ? { lifecycleNotificationUrl } : {}),
      ...(typeof clientState === 'string' ? { clientState } : {}),
      expirationDateTime: expiry,
      applicationId,
    };
    this.subscriptions.set(subscription.id, subscription);
    return { status: 201, body: subscription };
  }

  private expiry(value: unknown): string | SubscriptionAnswer {
    const at = typeof value === 'string' ? Date.parse(value) : NaN;
    if (Number.isNaN(at)) return error(400, 'InvalidRequest', 'expirationDateTime is required (ISO 8601).');
    const now = this.now().getTime();
    if (at <= now) return error(400, 'InvalidRequest', 'expirationDateTime must be in the future.');
    if (at > now + MAX_SUBSCRIPTION_MINUTES * 60_000)
      return error(400, 'InvalidRequest', `expirationDateTime is more than ${MAX_SUBSCRIPTION_MINUTES} minutes away.`);
    return new Date(at).toISOString();
  }

  /** Graph's validation handshake: the token must come back verbatim, 200, text/plain, within 10 s. */
  private async validate(url: string): Promise<string | undefined> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const target = new URL(url);
    target.searchParams.set('validationToken', token);
    try {
      const response = await fetch(target, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.text();
      if (response.status !== 200) return `${url} answered ${response.status}`;
      if (!/^text\/plain/i.test(response.headers.get('content-type') ?? '')) return `${url} did not answer text/plain`;
      if (text !== token) return `${url} did not echo the validation token`;
      return undefined;
    } catch (failure) {
      return `${url} unreachable: ${messageOf(failure)}`;
    }
  }

  private async post(url: string, body: unknown): Promise<void> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      this.sent.push({ url, status: response.status, body });
    } catch {
      this.sent.push({ url, status: 'failed', body });
    }
  }
}
