/**
 * The gauges the metrics pipeline reads at each collection, from the worker's services: the
 * directory cache (Graph calls, questions, hits, misses, stale and unavailable answers, entries,
 * the circuit's state). Further sources (the alert outbox's backlog, the decision log's drops)
 * add theirs here.
 * May import: ../composition.js (types), ./telemetry.js (types).
 */
import type { Services } from '../composition.js';
import type { ObservedGauge } from './telemetry.js';

/** Every gauge of this worker. */
export function serviceGauges(services: Services): ObservedGauge[] {
  const directory = () => services.directoryCache.stats();
  return [
    {
      name: 'certgate.graph.calls',
      description: 'Round trips to Microsoft Graph on the decision path since start',
      read: () => directory().calls,
    },
    {
      name: 'certgate.directory.answers',
      description: 'Directory facts since start, by where they came from (hit, miss, stale, unavailable)',
      read: () => {
        const stats = directory();
        return [
          { value: stats.hits, attributes: { 'certgate.source': 'hit' } },
          { value: stats.misses, attributes: { 'certgate.source': 'miss' } },
          { value: stats.stale, attributes: { 'certgate.source': 'stale' } },
          { value: stats.unavailable, attributes: { 'certgate.source': 'unavailable' } },
        ];
      },
    },
    {
      name: 'certgate.directory.hit_ratio',
      description: 'Share of directory facts answered from the cache since start',
      read: () => {
        const stats = directory();
        const asked = stats.hits + stats.misses;
        return asked === 0 ? 1 : stats.hits / asked;
      },
    },
    {
      name: 'certgate.directory.entries',
      description: 'Questions the directory cache holds',
      read: () => directory().entries,
    },
    {
      name: 'certgate.graph.circuit_open',
      description: '1 while the Graph circuit breaker is open (calls refused after repeated failures or throttling)',
      read: () => (directory().breaker === 'open' ? 1 : 0),
    },
  ];
}
