/**
 * The directory cache's tunables are settings: each read from its CERTGATE_GRAPH_* setting with its
 * default, handed to the cache by the composition root, and a bad value stops start-up naming the
 * setting.
 */
import { describe, expect, it } from 'vitest';
import { buildServices } from '../../shared/composition.js';
import { ConfigError, loadConfig } from '../../shared/config.js';

const base = {
  CERTGATE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
  CERTGATE_GATEWAY_SECRETS: 'a-secret-of-sixteen-plus',
};

function failingSetting(env: Record<string, string>): string | undefined {
  try {
    buildServices({ ...base, ...env });
    return undefined;
  } catch (error) {
    if (error instanceof ConfigError) return error.setting;
    throw error;
  }
}

describe('directory cache settings', () => {
  it('defaults: 100,000 entries, 5 failures open the circuit for 30 s, refresh-ahead a fifth of the TTL', () => {
    const { graph } = loadConfig(base);
    expect(graph.cacheMaxEntries).toBe(100_000);
    expect(graph.breaker).toEqual({ failures: 5, cooldownSeconds: 30 });
    expect(graph.refreshAheadSeconds).toBeUndefined();
    expect(buildServices(base).directoryCache.sweepIntervalMs).toBe(60_000);
    expect(buildServices({ ...base, CERTGATE_GRAPH_CACHE_SECONDS: '100' }).directoryCache.sweepIntervalMs).toBe(20_000);
  });

  it('reads each setting and hands it to the cache', () => {
    const env = {
      ...base,
      CERTGATE_GRAPH_CACHE_MAX_ENTRIES: '2500',
      CERTGATE_GRAPH_BREAKER_FAILURES: '3',
      CERTGATE_GRAPH_BREAKER_COOLDOWN_SECONDS: '90',
      CERTGATE_GRAPH_REFRESH_AHEAD_SECONDS: '42',
    };
    const { graph } = loadConfig(env);
    expect(graph.cacheMaxEntries).toBe(2500);
    expect(graph.breaker).toEqual({ failures: 3, cooldownSeconds: 90 });
    expect(graph.refreshAheadSeconds).toBe(42);
    expect(buildServices(env).directoryCache.sweepIntervalMs).toBe(42_000);
  });

  it.each([
    { setting: 'CERTGATE_GRAPH_CACHE_MAX_ENTRIES', value: 'lots' },
    { setting: 'CERTGATE_GRAPH_CACHE_MAX_ENTRIES', value: '99' },
    { setting: 'CERTGATE_GRAPH_BREAKER_FAILURES', value: '0' },
    { setting: 'CERTGATE_GRAPH_BREAKER_FAILURES', value: '2.5' },
    { setting: 'CERTGATE_GRAPH_BREAKER_COOLDOWN_SECONDS', value: '-1' },
    { setting: 'CERTGATE_GRAPH_BREAKER_COOLDOWN_SECONDS', value: '30s' },
    { setting: 'CERTGATE_GRAPH_REFRESH_AHEAD_SECONDS', value: '0' },
    // longer than the answers live: every answer would always be due
    { setting: 'CERTGATE_GRAPH_REFRESH_AHEAD_SECONDS', value: '301' },
  ])('$setting=$value stops start-up naming the setting', ({ setting, value }) => {
    expect(failingSetting({ [setting]: value })).toBe(setting);
  });
});
