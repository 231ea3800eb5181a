/**
 * The decision log on Azurite: the buffered writer and the store that reads it. Decisions are
 * recorded at chosen times and read back through the filters (user by UPN and object id, device
 * by thumbprint and Entra device id, app, decision, reason, time range), paged newest first with
 * continuation tokens (no duplicates, none missed, a token refused for another query); explained
 * by correlation id; removed by retention; counted when dropped (full buffer, storage down); and
 * cut with a marker when a trace is larger than a Table property holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { createTableClient } from '../../shared/adapters/storageClients.js';
import { TableDecisionLog } from '../../shared/adapters/tableDecisionLog.js';
import { ContinuationError, TableDecisionLogStore } from '../../shared/adapters/tableDecisionLogStore.js';
import { explainDecision } from '../../shared/decisionLog/explain.js';
import { TRUNCATION_MARKER } from '../../shared/decisionLog/loggedDecision.js';
import type { DecisionQuery } from '../../shared/decisionLog/query.js';
import type { StorageConfig } from '../../shared/config.js';
import { enforced, recordOf, reportOnlyBlock } from './records.js';

const NOW = new Date('2026-03-10T12:30:00.000Z');
const HOUR = 3_600_000;
const ALICE = { user: 'Alice@Contoso.example', userId: 'AAAAAAAA-0000-4000-8000-000000000001' };
const BOB = { user: 'bob@contoso.example', userId: 'bbbbbbbb-0000-4000-8000-000000000002' };
const ALICE_CERT = 'a1'.repeat(32);
const BOB_CERT = 'b2'.repeat(32);
const LAPTOP = 'DDDDDDDD-0000-4000-8000-00000000000D';

let azurite: Azurite;
let storage: StorageConfig;
let tableSeq = 0;

function tables(name: string) {
  tableSeq++;
  return {
    decisions: createTableClient(storage, `${name}${tableSeq}Decisions`),
    index: createTableClient(storage, `${name}${tableSeq}Index`),
  };
}

function logOn(name: string, options: Partial<ConstructorParameters<typeof TableDecisionLog>[2]> = {}) {
  const { decisions, index } = tables(name);
  const writer = new TableDecisionLog(decisions, index, {
    allows: { kind: 'all' },
    capacity: 10_000,
    flushMs: 0,
    ...options,
  });
  const store = new TableDecisionLogStore(decisions, index, 30, () => NOW);
  return { writer, store };
}

beforeAll(async () => {
  azurite = await startAzurite();
  storage = { kind: 'connection-string', connectionString: azurite.connectionString };
});
afterAll(async () => {
  await azurite.close();
});

/** Every page of a query, following continuation tokens. */
async function allPages(store: TableDecisionLogStore, query: DecisionQuery): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let continuation: string | undefined;
  let pages = 0;
  do {
    const page = await store.list({ ...query, ...(continuation ? { continuation } : {}) });
    ids.push(...page.items.map((item) => item.correlationId));
    continuation = page.continuation;
    pages++;
  } while (continuation !== undefined && pages < 50);
  return { ids, pages };
}

describe('the decision log in Table Storage', () => {
  let writer: TableDecisionLog;
  let store: TableDecisionLogStore;
  const range = { from: new Date(NOW.getTime() - 48 * HOUR), to: NOW, limit: 50 };

  beforeAll(async () => {
    ({ writer, store } = logOn('dl'));
    // 24 decisions over the last 20 hours (crossing a day boundary), alice and bob, two apps.
    for (let i = 0; i < 24; i++) {
      const who = i % 3 === 0 ? BOB : ALICE;
      writer.record(
        recordOf({
          at: new Date(NOW.getTime() - i * 50 * 60_000),
          correlationId: `corr-${String(i).padStart(2, '0')}`,
          effect: i % 4 === 0 ? 'allow' : 'block',
          app: i % 2 === 0 ? 'portal' : 'payroll',
          ...who,
          thumbprint: who === BOB ? BOB_CERT : ALICE_CERT,
          ...(i === 5 ? { deviceId: LAPTOP } : {}),
          ...(i === 7
            ? { reasons: ['client-certificate-invalid', 'certificate-revoked'], failedCheck: 'revocation' }
            : {}),
        }),
      );
    }
    await writer.close();
    expect(writer.stats()).toMatchObject({ recorded: 24, written: 24, buffered: 0 });
  });

  it.each([
    { label: 'no filter: every decision in the range, newest first', query: {}, expected: 24 },
    { label: 'user by UPN, any case', query: { user: 'alice@contoso.EXAMPLE' }, expected: 16 },
    { label: 'user by object id', query: { user: BOB.userId }, expected: 8 },
    { label: 'device by certificate thumbprint', query: { device: BOB_CERT.toUpperCase() }, expected: 8 },
    { label: 'device by Entra device id', query: { device: LAPTOP.toLowerCase() }, expected: 1 },
    { label: 'app', query: { app: 'payroll' }, expected: 12 },
    { label: 'decision', query: { decision: 'allow' as const }, expected: 6 },
    { label: 'reason in any position', query: { reason: 'certificate-revoked' }, expected: 1 },
    { label: 'user and app together', query: { user: 'bob@contoso.example', app: 'portal' }, expected: 4 },
    { label: 'device and user together', query: { device: ALICE_CERT, user: BOB.userId }, expected: 0 },
  ])('$label', async ({ query, expected }) => {
    const page = await store.list({ ...range, ...query });
    expect(page.items).toHaveLength(expected);
    const times = page.items.map((item) => item.at);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('a time range selects by the decision time, both ends inclusive', async () => {
    const page = await store.list({
      from: new Date(NOW.getTime() - 5 * 50 * 60_000),
      to: new Date(NOW.getTime() - 2 * 50 * 60_000),
      limit: 50,
    });
    expect(page.items.map((item) => item.correlationId)).toEqual(['corr-02', 'corr-03', 'corr-04', 'corr-05']);
  });

  it.each([
    { label: 'by time', query: {} },
    { label: 'by user (index)', query: { user: ALICE.user } },
  ])('pages $label: each decision once, newest first, in pages of the limit', async ({ query }) => {
    const whole = await store.list({ ...range, ...query });
    const paged = await allPages(store, { ...range, ...query, limit: 5 });
    expect(paged.ids).toEqual(whole.items.map((item) => item.correlationId));
    expect(paged.pages).toBeGreaterThanOrEqual(Math.ceil(whole.items.length / 5));
  });

  it('refuses a continuation token with other filters, or one it did not give', async () => {
    const first = await store.list({ ...range, limit: 3 });
    expect(first.continuation).toBeDefined();
    await expect(
      store.list({ ...range, limit: 3, app: 'portal', continuation: first.continuation! }),
    ).rejects.toBeInstanceOf(ContinuationError);
    await expect(store.list({ ...range, limit: 3, continuation: 'bm90LWEtdG9rZW4' })).rejects.toBeInstanceOf(
      ContinuationError,
    );
  });

  it('a long range stops after a bounded number of partitions and says where to go on', async () => {
    const page = await store.list({ from: new Date(NOW.getTime() - 5 * 24 * HOUR), to: NOW, limit: 200 });
    // 24 decisions in the first 20 hours; the page read 48 hours and hands back a token for the rest.
    expect(page.items).toHaveLength(24);
    expect(page.continuation).toBeDefined();
    const rest = await allPages(store, {
      from: new Date(NOW.getTime() - 5 * 24 * HOUR),
      to: NOW,
      limit: 200,
      continuation: page.continuation!,
    });
    expect(rest.ids).toEqual([]);
  });

  it('finds a decision by correlation id with its trace, and explains which check failed', async () => {
    const [found, ...others] = await store.get('corr-07');
    expect(others).toEqual([]);
    expect(found).toMatchObject({
      correlationId: 'corr-07',
      decision: 'block',
      reasons: ['client-certificate-invalid', 'certificate-revoked'],
      user: ALICE.user,
      userId: ALICE.userId.toLowerCase(),
      certificateThumbprint: ALICE_CERT,
      app: 'payroll',
    });
    expect(found!.trace.ok).toBe(true);
    const explanation = explainDecision(found!);
    expect(explanation.decisiveStep).toBeGreaterThan(0);
    expect(await store.get('corr-unknown-id')).toEqual([]);
  });
});

describe('retention', () => {
  it('deletes whole hours and days before the cutoff, keeps the rest', async () => {
    const { writer, store } = logOn('ret');
    const old = new Date(NOW.getTime() - 40 * 24 * HOUR);
    for (let i = 0; i < 3; i++)
      writer.record(recordOf({ at: new Date(old.getTime() + i * 1000), correlationId: `old-${i}-decision`, ...ALICE }));
    writer.record(recordOf({ at: new Date(NOW.getTime() - HOUR), correlationId: 'recent-decision', ...ALICE }));
    await writer.close();
    const before = new Date(NOW.getTime() - 30 * 24 * HOUR);
    const wide = { from: new Date(old.getTime() - HOUR), to: NOW, limit: 50 };
    expect((await allPages(store, { ...wide, user: ALICE.user })).ids).toHaveLength(4);

    const purged = await store.purge(before, 2);
    expect(purged).toEqual({ deleted: 2, more: true });
    const rest = await store.purge(before, 1000);
    expect(rest.more).toBe(false);
    expect((await allPages(store, { ...wide, user: ALICE.user })).ids).toEqual(['recent-decision']);
    expect((await store.list({ from: old, to: new Date(old.getTime() + HOUR), limit: 50 })).items).toEqual([]);
    expect(await store.get('old-0-decision')).toEqual([]);
    expect(await store.get('recent-decision')).toHaveLength(1);
    expect(await store.purge(before, 1000)).toEqual({ deleted: 0, more: false });
  });
});

describe('the writer off the critical path', () => {
  it('drops and counts when the buffer is full, allows first, blocks never sampled', async () => {
    const { writer, store } = logOn('full', { capacity: 10 });
    for (let i = 0; i < 12; i++)
      writer.record(recordOf({ at: NOW, correlationId: `allow-${i}-decision`, effect: 'allow', ...BOB }));
    for (let i = 0; i < 5; i++) writer.record(recordOf({ at: NOW, correlationId: `block-${i}-decision`, ...BOB }));
    // 9 allows fill the allows' share (90 %), one block fills the buffer; 3 allows and 4 blocks are dropped.
    expect(writer.stats()).toMatchObject({
      buffered: 10,
      recorded: 10,
      dropped: { bufferFull: 7, blocks: 4, writeFailed: 0 },
    });
    await writer.close();
    expect(writer.stats()).toMatchObject({ buffered: 0, written: 10 });
    const page = await store.list({ from: new Date(NOW.getTime() - HOUR), to: NOW, limit: 50 });
    expect(page.items).toHaveLength(10);
  });

  it('samples allows by the setting, never blocks, and always keeps allows a report-only policy would block', async () => {
    let draws = 0;
    const { writer } = logOn('sample', { allows: { kind: 'rate', rate: 0.25 }, random: () => (draws++ % 4) / 4 });
    for (let i = 0; i < 8; i++)
      writer.record(recordOf({ at: NOW, correlationId: `sa-${i}-decision`, effect: 'allow' }));
    for (let i = 0; i < 3; i++) writer.record(recordOf({ at: NOW, correlationId: `sb-${i}-decision` }));
    writer.record(
      recordOf({
        at: NOW,
        correlationId: 'would-block-decision',
        effect: 'allow',
        policies: [reportOnlyBlock('ro-block', 'applies')],
      }),
    );
    // The draw for the last allow is 0.5 (not sampled), but the report-only block keeps it.
    expect(writer.stats()).toMatchObject({ recorded: 6, sampledOut: 6 });
    const none = logOn('none', { allows: { kind: 'none' } }).writer;
    none.record(recordOf({ at: NOW, correlationId: 'none-allow-1', effect: 'allow' }));
    none.record(recordOf({ at: NOW, correlationId: 'none-block-1' }));
    expect(none.stats()).toMatchObject({ recorded: 1, sampledOut: 1 });
    await Promise.all([writer.close(), none.close()]);
  });

  it('counts decisions it could not write when storage is down, without throwing from record()', async () => {
    const down: StorageConfig = {
      kind: 'connection-string',
      connectionString: azurite.connectionString.replace(
        /TableEndpoint=http:\/\/127\.0\.0\.1:\d+/,
        'TableEndpoint=http://127.0.0.1:9',
      ),
    };
    const writer = new TableDecisionLog(
      createTableClient(down, 'downDecisions', { deadlineMs: 500 }),
      createTableClient(down, 'downIndex', { deadlineMs: 500 }),
      { allows: { kind: 'all' }, capacity: 100, flushMs: 0 },
    );
    writer.record(recordOf({ at: NOW, correlationId: 'lost-decision-1' }));
    writer.record(recordOf({ at: NOW, correlationId: 'lost-decision-2' }));
    await writer.close();
    expect(writer.stats()).toMatchObject({ written: 0, buffered: 0, dropped: { writeFailed: 2, blocks: 2 } });
    expect(writer.stats().lastError?.message).toBeTruthy();
  });

  it('cuts a trace larger than a Table property holds, with a marker, and still stores the decision', async () => {
    const { writer, store } = logOn('big');
    writer.record(recordOf({ at: NOW, correlationId: 'huge-trace-decision', traceChars: 100_000, ...ALICE }));
    await writer.close();
    expect(writer.stats().written).toBe(1);
    const [found] = await store.get('huge-trace-decision');
    expect(found?.trace.ok).toBe(false);
    expect(found?.trace.ok === false && found.trace.truncated.endsWith(TRUNCATION_MARKER)).toBe(true);
    expect(found?.policies.ok).toBe(true);
    expect(explainDecision(found!).text).toContain('truncated');
  });
});

describe('report-only outcomes for the impact report', () => {
  it('keeps each report-only policy that applied or was unknown, with whether it would have changed the effect', async () => {
    const { writer, store } = logOn('impact');
    const policies = (outcome: 'applies' | 'unknown' | 'does-not-apply') => [
      enforced('corp-allow', 'allow', 'applies'),
      reportOnlyBlock('ro-cert', outcome),
    ];
    writer.record(
      recordOf({
        at: NOW,
        correlationId: 'imp-1-decision',
        effect: 'allow',
        ...ALICE,
        app: 'portal',
        policies: policies('applies'),
      }),
    );
    writer.record(
      recordOf({
        at: NOW,
        correlationId: 'imp-2-decision',
        effect: 'allow',
        ...BOB,
        app: 'portal',
        policies: policies('applies'),
      }),
    );
    writer.record(
      recordOf({
        at: NOW,
        correlationId: 'imp-3-decision',
        effect: 'block',
        ...BOB,
        app: 'payroll',
        policies: policies('applies'),
      }),
    );
    writer.record(
      recordOf({ at: NOW, correlationId: 'imp-4-decision', effect: 'allow', ...ALICE, policies: policies('unknown') }),
    );
    writer.record(
      recordOf({
        at: NOW,
        correlationId: 'imp-5-decision',
        effect: 'allow',
        ...ALICE,
        policies: policies('does-not-apply'),
      }),
    );
    await writer.close();
    const { rows, truncated } = await store.policyOutcomes(
      'ro-cert',
      { from: new Date(NOW.getTime() - HOUR), to: NOW },
      100,
    );
    expect(truncated).toBe(false);
    expect(rows.map((row) => [row.correlationId, row.outcome, row.wouldChange]).sort()).toEqual([
      ['imp-1-decision', 'applies', true],
      ['imp-2-decision', 'applies', true],
      ['imp-3-decision', 'applies', false],
      ['imp-4-decision', 'unknown', false],
    ]);
    expect(
      (await store.policyOutcomes('ro-cert', { from: new Date(NOW.getTime() - HOUR), to: NOW }, 2)).truncated,
    ).toBe(true);
  });
});
