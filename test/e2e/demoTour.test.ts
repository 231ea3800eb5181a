/**
 * The tour as `npm start` runs it, with the demo access policies loaded: every step, including the
 * policy steps (same user without a certificate allowed from the office, blocked from outside).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEphemeralStack, type Stack } from '../../dev/stack.js';
import { tourSteps } from '../../dev/tour.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startEphemeralStack('demotour', {}, { demoPolicies: true });
}, 120_000);
afterAll(async () => {
  await stack.close();
});

describe('the tour with the demo policies', () => {
  it('every step gives the outcome it states', async () => {
    const steps = tourSteps(stack, process.cwd());
    expect(steps.length).toBeGreaterThanOrEqual(14);
    for (const step of steps) {
      const result = await step.run();
      expect({ step: step.title, status: result.status }).toEqual({ step: step.title, status: step.expected.status });
      for (const reason of step.expected.reasons) expect(result.reasons, step.title).toContain(reason);
      const tags = (result.body as { deviceTags?: string[] }).deviceTags ?? [];
      for (const tag of step.expected.deviceTags ?? []) expect(tags, step.title).toContain(tag);
    }
  });
});
