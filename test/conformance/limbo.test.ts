import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  BASELINE_PATH,
  limboPath,
  loadLimbo,
  runConformance,
  type ConformanceBaseline,
} from '../../scripts/conformance.js';

const path = limboPath();
const available = existsSync(path);
if (!available) console.warn(`x509-limbo conformance skipped: ${path} not found (set CERTGATE_LIMBO to run it)`);

describe.skipIf(!available)('x509-limbo conformance (README selection)', () => {
  it('no namespace passes fewer cases than conformance-baseline.json', { timeout: 120_000 }, () => {
    const baseline = JSON.parse(readFileSync(BASELINE_PATH, 'utf8')) as ConformanceBaseline;
    // Cases with validation_time null use "now"; fix it so the run is reproducible.
    const { tally } = runConformance(loadLimbo(path), new Date('2026-01-01T00:00:00Z'));
    const drops = Object.entries(baseline.namespaces)
      .map(([namespace, expected]) => ({ namespace, expected: expected.passed, actual: tally[namespace]?.passed ?? 0 }))
      .filter(({ expected, actual }) => actual < expected);
    expect(drops).toEqual([]);
  });
});
