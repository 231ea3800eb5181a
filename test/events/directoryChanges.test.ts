/**
 * The shared feed of directory changes on Azurite: what one worker publishes, another worker
 * applies at its next poll (once, even when the overlap re-reads it); a worker does not re-apply
 * its own; the poll interval is honoured; a worker reading nothing before it started.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { createTableClient } from '../../shared/adapters/storageClients.js';
import { TableDirectoryChanges } from '../../shared/adapters/tableDirectoryChanges.js';
import type { DirectoryForgetting } from '../../shared/trust/directoryCache.js';

let azurite: Azurite;
let tableSeq = 0;
const none: DirectoryForgetting = { users: [], groups: [], devices: [], allMemberships: false, everything: false };

class Clock {
  t = Date.parse('2026-12-03T12:00:00Z');
  now(): Date {
    return new Date(this.t);
  }
}

function workers(count: number, pollSeconds = 5) {
  const name = `changes${++tableSeq}DirectoryChanges`;
  const clock = new Clock();
  return {
    clock,
    all: Array.from({ length: count }, () => {
      const applied: DirectoryForgetting[] = [];
      const feed = new TableDirectoryChanges(
        createTableClient({ kind: 'connection-string', connectionString: azurite.connectionString }, name),
        clock,
        {
          pollSeconds,
          apply: (change) => applied.push(change),
          log: (event) => {
            throw new Error(JSON.stringify(event));
          },
        },
      );
      return { feed, applied };
    }),
  };
}

beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => {
  await azurite.close();
});

describe('TableDirectoryChanges', () => {
  it('another worker applies a published change once, at its next poll; the publisher does not re-apply its own', async () => {
    const { clock, all } = workers(2);
    const [a, b] = all as [(typeof all)[0], (typeof all)[0]];
    await b.feed.maybeFollow(); // b's first read: nothing yet
    await a.feed.publish({ ...none, users: ['dave'] });
    expect(b.feed.maybeFollow()).toBeUndefined(); // within the poll interval: no read
    clock.t += 5_000;
    await b.feed.maybeFollow();
    expect(b.applied).toEqual([{ ...none, users: ['dave'] }]);
    clock.t += 5_000;
    await a.feed.maybeFollow();
    await b.feed.maybeFollow(); // the overlap re-reads the row: not applied twice
    expect(a.applied).toEqual([]);
    expect(b.applied).toHaveLength(1);
  });

  it('never reads when the poll interval is 0', async () => {
    const { all } = workers(2, 0);
    await all[0]!.feed.publish({ ...none, everything: true });
    expect(all[1]!.feed.maybeFollow()).toBeUndefined();
    expect(all[1]!.applied).toEqual([]);
  });

  it('a change published while a worker was down for an hour is still read (rows kept a day)', async () => {
    const { clock, all } = workers(2);
    const [a, b] = all as [(typeof all)[0], (typeof all)[0]];
    await b.feed.maybeFollow();
    clock.t += 3600_000;
    await a.feed.publish({ ...none, groups: ['finance'] });
    await b.feed.maybeFollow();
    expect(b.applied).toEqual([{ ...none, groups: ['finance'] }]);
  });
});
