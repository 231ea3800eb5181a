/**
 * `onFirstUse`: a function module's handler modules, loaded once on the first call (concurrent
 * first calls share the load), merged, kept in `loaded` for the calls after; a failed load is tried
 * again on the next call; two modules exporting one name with different values is refused.
 */
import { describe, expect, it } from 'vitest';
import { onFirstUse } from '../../shared/onFirstUse.js';

describe('onFirstUse', () => {
  it('loads the modules once, on the first call, and keeps them merged in loaded', async () => {
    let loads = 0;
    const modules = onFirstUse(
      () => {
        loads++;
        return Promise.resolve({ a: 1 });
      },
      () => import('../../shared/errors.js'),
    );
    expect(loads).toBe(0);
    expect(modules.loaded).toBeUndefined();
    const [first, second] = await Promise.all([modules(), modules()]);
    expect(first).toBe(second);
    expect(loads).toBe(1);
    expect(first.a).toBe(1);
    expect(typeof first.messageOf).toBe('function');
    expect(modules.loaded).toBe(first);
    expect(await modules()).toBe(first);
    expect(loads).toBe(1);
  });

  it('tries a failed load again on the next call', async () => {
    let attempts = 0;
    const modules = onFirstUse(() => {
      attempts++;
      return attempts === 1 ? Promise.reject(new Error('chunk missing')) : Promise.resolve({ ok: true });
    });
    await expect(modules()).rejects.toThrow('chunk missing');
    expect(modules.loaded).toBeUndefined();
    expect((await modules()).ok).toBe(true);
    expect(attempts).toBe(2);
  });

  it('refuses two modules exporting one name with different values, and merges the same value twice', async () => {
    const shared = (): void => undefined;
    await expect(
      onFirstUse(
        () => Promise.resolve({ handler: 1 }),
        () => Promise.resolve({ handler: 2 }),
      )(),
    ).rejects.toThrow('two modules export "handler"');
    const merged = await onFirstUse(
      () => Promise.resolve({ shared }),
      () => Promise.resolve({ shared, other: 3 }),
    )();
    expect(merged.shared).toBe(shared);
    expect(merged.other).toBe(3);
  });
});
