import { describe, expect, it } from 'vitest';
import { PeriodicRefresh } from '../../shared/trust/periodicRefresh.js';

function setup(loadResults: (() => Promise<number>)[]) {
  const clock = {
    t: 0,
    now() {
      return new Date(this.t);
    },
  };
  let loads = 0;
  const refresh = new PeriodicRefresh<number>(
    () => {
      const next = loadResults[Math.min(loads, loadResults.length - 1)]!;
      loads++;
      return next();
    },
    clock,
    5,
  );
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
    const { refresh, loads } = setup([
      () =>
        new Promise((resolve) =>
          setTimeout(() => {
            resolve(7);
          }, 10),
        ),
    ]);
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

describe('PeriodicRefresh while the source is slow or down', () => {
  const never = () => new Promise<number>(() => undefined);

  it('a request holding a good value is not held by a refresh that hangs: it gets the value after its patience', async () => {
    const clock = {
      t: 0,
      now() {
        return new Date(this.t);
      },
    };
    let loads = 0;
    const results = [() => Promise.resolve(1), never];
    const refresh = new PeriodicRefresh<number>(() => results[Math.min(loads++, 1)]!(), clock, 5, { patienceMs: 5 });
    expect(await refresh.get()).toBe(1);
    clock.t = 6_000;
    // The load never settles: without the patience bound this would never resolve.
    expect(await Promise.all([refresh.get(), refresh.get()])).toEqual([1, 1]);
    expect(loads).toBe(2);
  });

  it('while the last load failed, a request with a value does not wait at all, and loads are retried once per interval', async () => {
    const clock = {
      t: 0,
      now() {
        return new Date(this.t);
      },
    };
    let loads = 0;
    const refresh = new PeriodicRefresh<number>(
      () => (loads++ === 0 ? Promise.resolve(1) : Promise.reject(new Error('store down'))),
      clock,
      5,
    );
    expect(await refresh.get()).toBe(1);
    clock.t = 5_000;
    expect(await refresh.get()).toBe(1);
    expect(loads).toBe(2);
    // The source is known to fail: the next requests are served at once, with no load of their own.
    clock.t = 6_000;
    expect(await refresh.get()).toBe(1);
    expect(loads).toBe(2);
    clock.t = 10_000;
    expect(await refresh.get()).toBe(1);
    expect(loads).toBe(3);
  });

  it('a failing source is not waited for even when its load hangs (no patience given)', async () => {
    const clock = {
      t: 0,
      now() {
        return new Date(this.t);
      },
    };
    let loads = 0;
    const results = [() => Promise.resolve(1), () => Promise.reject(new Error('timed out')), never];
    const refresh = new PeriodicRefresh<number>(() => results[Math.min(loads++, 2)]!(), clock, 1);
    expect(await refresh.get()).toBe(1);
    clock.t = 1_000;
    expect(await refresh.get()).toBe(1);
    clock.t = 2_000;
    expect(await refresh.get()).toBe(1);
    expect(loads).toBe(3);
  });

  it('recovers by itself: the first successful load after failures is served', async () => {
    const clock = {
      t: 0,
      now() {
        return new Date(this.t);
      },
    };
    let loads = 0;
    const results = [() => Promise.resolve(1), () => Promise.reject(new Error('down')), () => Promise.resolve(2)];
    const refresh = new PeriodicRefresh<number>(() => results[Math.min(loads++, 2)]!(), clock, 1);
    expect(await refresh.get()).toBe(1);
    clock.t = 1_000;
    expect(await refresh.get()).toBe(1);
    clock.t = 2_000;
    await refresh.get();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await refresh.get()).toBe(2);
    expect(refresh.status()).toMatchObject({ hasValue: true });
    expect(refresh.status().failingSince).toBeUndefined();
  });

  it('with nothing loaded, a failure answers the requests right after it at once (no pile-up), and a later one tries again', async () => {
    const clock = {
      t: 0,
      now() {
        return new Date(this.t);
      },
    };
    let loads = 0;
    const refresh = new PeriodicRefresh<number>(
      () => (loads++ === 0 ? Promise.reject(new Error('store down')) : Promise.resolve(3)),
      clock,
      5,
    );
    await expect(refresh.get()).rejects.toThrow('store down');
    clock.t = 500;
    await expect(refresh.get()).rejects.toThrow('store down');
    expect(loads).toBe(1);
    expect(refresh.status()).toMatchObject({ hasValue: false, failingSince: new Date(0), lastError: 'store down' });
    clock.t = 1_000;
    expect(await refresh.get()).toBe(3);
  });

  it('after invalidate (a change made through this worker) the next request waits for the load', async () => {
    const clock = {
      t: 0,
      now() {
        return new Date(this.t);
      },
    };
    let loads = 0;
    const refresh = new PeriodicRefresh<number>(
      () =>
        new Promise((resolve) =>
          setTimeout(() => {
            resolve(++loads);
          }, 20),
        ),
      clock,
      5,
      { patienceMs: 0 },
    );
    expect(await refresh.get()).toBe(1);
    refresh.invalidate();
    expect(await refresh.get()).toBe(2);
  });
});

describe('PeriodicRefresh.fresh (the warm path without a promise)', () => {
  it('is the value exactly while get() would answer it without loading: not before the first load, not at the interval, not once invalidated', async () => {
    const { clock, refresh, loads } = setup([
      () => Promise.resolve(1),
      () => Promise.resolve(2),
      () => Promise.resolve(3),
    ]);
    expect(refresh.fresh()).toBeUndefined();
    expect(await refresh.get()).toBe(1);
    clock.t = 4_999;
    expect(refresh.fresh()).toBe(1);
    clock.t = 5_000;
    expect(refresh.fresh()).toBeUndefined();
    expect(await refresh.get()).toBe(2);
    expect(refresh.fresh()).toBe(2);
    refresh.invalidate();
    expect(refresh.fresh()).toBeUndefined();
    expect(await refresh.get()).toBe(3);
    expect(refresh.fresh()).toBe(3);
    expect(loads()).toBe(3);
  });
});
