import { describe, expect, it } from 'vitest';
import { PeriodicRefresh } from '../../shared/trust/periodicRefresh.js';

function setup(loadResults: (() => Promise<number>)[]) {
  const clock = { t: 0, now() { return new Date(this.t); } };
  let loads = 0;
  const refresh = new PeriodicRefresh<number>(() => {
    const next = loadResults[Math.min(loads, loadResults.length - 1)]!;
    loads++;
    return next();
  }, clock, 5);
  return { clock, refresh, loads: () => loads };
}

describe('PeriodicRefresh', () => {
  it('re-loads only once the interval has passed (boundary included)', async () => {
    const { clock, refresh, loads } = setup([() => Promise.resolve(1), () => Promise.resolve(2)]);
    expect(await refresh.get()).toBe(1);
    clock.t = 4_999;
    expect(await refresh.get()).toBe(1);
    expect(loads()).toBe(1);
    clock.t = 5_000;
    expect(await refresh.get()).toBe(2);
  });

  it('shares one load between concurrent callers', async () => {
    const { refresh, loads } = setup([() => new Promise((resolve) => setTimeout(() => { resolve(7); }, 10))]);
    expect(await Promise.all([refresh.get(), refresh.get(), refresh.get()])).toEqual([7, 7, 7]);
    expect(loads()).toBe(1);
  });

  it('keeps the last good value when a load fails, and throws when there is none', async () => {
    const failing = () => Promise.reject(new Error('store down'));
    const empty = setup([failing]);
    await expect(empty.refresh.get()).rejects.toThrow('store down');
    const { clock, refresh } = setup([() => Promise.resolve(1), failing]);
    expect(await refresh.get()).toBe(1);
    clock.t = 10_000;
    expect(await refresh.get()).toBe(1);
    refresh.invalidate();
    expect(await refresh.get()).toBe(1);
  });
});
