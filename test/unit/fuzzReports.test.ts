/**
 * The fuzz script's parts (one fresh stack per part) add up to one report: a 5xx or a dropped
 * connection in any part fails the whole run.
 */
import { describe, expect, it } from 'vitest';
import { mergedReports, type FuzzReport } from '../../scripts/fuzzAuthorize.js';

const part = (report: Partial<FuzzReport>): FuzzReport => ({
  requests: 0,
  byStatus: {},
  serverErrors: 0,
  transportErrors: 0,
  examples: [],
  seconds: 0,
  ...report,
});

describe('mergedReports', () => {
  it('adds the counts and the statuses of every part', () => {
    const merged = mergedReports([
      part({ requests: 10, byStatus: { '200': 4, '403': 6 }, seconds: 1.5 }),
      part({ requests: 5, byStatus: { '403': 3, '400': 2 }, serverErrors: 1, examples: ['500: …'], seconds: 2 }),
    ]);
    expect(merged).toEqual({
      requests: 15,
      byStatus: { '200': 4, '403': 9, '400': 2 },
      serverErrors: 1,
      transportErrors: 0,
      examples: ['500: …'],
      seconds: 3.5,
    });
  });

  it('keeps a transport error of the last part', () => {
    expect(mergedReports([part({ requests: 1 }), part({ transportErrors: 2 })]).transportErrors).toBe(2);
  });
});
