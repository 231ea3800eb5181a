/**
 * Events in: what certgate does when the directory tells it something changed (a Graph change
 * notification) or an admin says so (`POST /api/manage/revocation/user/{id}`): the worker's
 * directory cache forgets the answers the change made stale, so the next decision asks Graph.
 * Lifecycle notifications renew, reauthorize or re-create the subscriptions (in the background:
 * Graph wants its answer within 3 s; the renewal timer is the safety net).
 *
 * Graph's notification reaches one worker: it forgets at once and writes the change to the shared
 * feed (../adapters/tableDirectoryChanges.ts), which every other worker reads within
 * CERTGATE_DIRECTORY_CHANGES_POLL_SECONDS of its next request. See docs/events-in.md.
 * May import: ../composition.js (types), ./graphChangeNotifications.js, ../adapters/graphSubscriptions.js,
 * ../errors.js.
 */
import type { Services } from '../composition.js';
import { GraphSubscriptions, type SubscriptionReport } from '../adapters/graphSubscriptions.js';
import { messageOf } from '../errors.js';
import type { DirectoryForgetting } from '../trust/directoryCache.js';
import { readNotificationBatch, type LifecycleRequest, type NotificationBatch } from './graphChangeNotifications.js';

/** Where a caller's log lines go. */
export interface EventLog {
  log(line: string): void;
  warn(line: string): void;
}

const managers = new WeakMap<Services['config'], GraphSubscriptions | undefined>();

/** The subscription manager for this configuration, or undefined when notifications are off. */
export function graphSubscriptionsFor(services: Services): GraphSubscriptions | undefined {
  if (managers.has(services.config)) return managers.get(services.config);
  const { graph, graphNotifications } = services.config;
  const url = graphNotifications.url;
  const manager =
    graph.enabled && url !== undefined ? new GraphSubscriptions(graph, { ...graphNotifications, url }) : undefined;
  managers.set(services.config, manager);
  return manager;
}

/** Creates / renews the subscriptions now; undefined when notifications are off. */
export async function ensureGraphSubscriptions(services: Services): Promise<SubscriptionReport | undefined> {
  return graphSubscriptionsFor(services)?.ensure(services.clock.now());
}

/**
 * Applies one POST from Graph: the body read, the clientState checked, the cache told to forget.
 * Throws NotificationBodyInvalid for a body that is not a notification collection.
 */
export function applyGraphNotifications(services: Services, body: unknown, log: EventLog): NotificationBatch {
  const batch = readNotificationBatch(body, services.config.graphNotifications.clientStates);
  const forgotten = forget(services, batch.forget, log);
  log.log(
    JSON.stringify({
      event: 'certgate.graph.notifications',
      accepted: batch.accepted,
      refused: batch.refused,
      users: batch.forget.users.length,
      groups: batch.forget.groups.length,
      devices: batch.forget.devices.length,
      allMemberships: batch.forget.allMemberships,
      everything: batch.forget.everything,
      forgotten,
      lifecycle: batch.lifecycle.map((l) => l.event),
    }),
  );
  if (batch.refused > 0) {
    log.warn(
      JSON.stringify({
        event: 'certgate.graph.notification-refused',
        refused: batch.refused,
        detail: 'clientState missing or wrong: a forged notification, or one for a subscription that is not ours',
      }),
    );
  }
  if (batch.lifecycle.length > 0) void answerLifecycle(services, batch.lifecycle, log);
  return batch;
}

/** An admin's "this user / device lost access": forget what the cache knows about them. */
export function forgetDirectoryObject(services: Services, kind: 'user' | 'device', id: string): number {
  return forget(services, {
    users: kind === 'user' ? [id] : [],
    groups: [],
    devices: kind === 'device' ? [id] : [],
    allMemberships: false,
    everything: false,
  });
}

/** Forgets here at once, and tells the other workers through the shared feed (in the background). */
function forget(services: Services, what: DirectoryForgetting, log?: EventLog): number {
  const empty = what.users.length + what.groups.length + what.devices.length === 0;
  if (empty && !what.allMemberships && !what.everything) return 0;
  const forgotten = services.directoryCache.forget(what);
  services.directoryChanges.publish(what).catch((error: unknown) => {
    const line = JSON.stringify({ event: 'certgate.directory.change-not-shared', detail: messageOf(error) });
    if (log) log.warn(line);
    else console.warn(line);
  });
  return forgotten;
}

async function answerLifecycle(services: Services, events: readonly LifecycleRequest[], log: EventLog): Promise<void> {
  const manager = graphSubscriptionsFor(services);
  if (!manager) return;
  const now = services.clock.now();
  for (const { event, subscriptionId } of events) {
    try {
      if (event === 'reauthorizationRequired') await manager.reauthorize(subscriptionId, now);
      else await manager.ensure(now); // removed: re-create; missed: the cache already forgot, check the set
      log.log(JSON.stringify({ event: 'certgate.graph.subscription-lifecycle', lifecycle: event, subscriptionId }));
    } catch (error) {
      log.warn(
        JSON.stringify({
          event: 'certgate.graph.subscription-failed',
          lifecycle: event,
          subscriptionId,
          detail: messageOf(error),
        }),
      );
    }
  }
}
