/**
 * The decision log's own `$batch` writer on Azurite: rows read back as the SDK reads them (keys
 * with quotes, percent signs, spaces, non-ASCII; string and boolean properties; undefined ones
 * left out), a second upsert replaces the row, and a refused transaction writes nothing and names
 * the status and the service's reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../dev/azurite.js';
import { createTableClient } from '../../shared/adapters/storageClients.js';
import { batchFailureOf, keyInPath, TableBatchError, upsertBatch } from '../../shared/adapters/tableBatch.js';
import type { StorageConfig } from '../../shared/config.js';

let azurite: Azurite;
let storage: StorageConfig;
let seq = 0;

beforeAll(async () => {
  azurite = await startAzurite();
  storage = { kind: 'connection-string', connectionString: azurite.connectionString };
});
afterAll(async () => {
  await azurite.close();
});

async function freshTable() {
  const table = createTableClient(storage, `batch${++seq}`);
  await table.createTable();
  return table;
}

describe('upsertBatch', () => {
  it('writes every row, keys and properties as the SDK reads them back', async () => {
    const table = await freshTable();
    const keys = ["it's", '100%', 'a b', 'café|ü', 'c|x%2Fy|0123'];
    await upsertBatch(
      table,
      keys.map((rowKey, i) => ({
        partitionKey: "p'1",
        rowKey,
        text: `"quoted" ${i}\n`,
        flag: i % 2 === 0,
        gone: undefined,
      })),
    );
    for (const [i, rowKey] of keys.entries()) {
      const entity = await table.getEntity<{ text: string; flag: boolean; gone?: string }>("p'1", rowKey);
      expect({ rowKey: entity.rowKey, text: entity.text, flag: entity.flag, gone: entity.gone }).toEqual({
        rowKey,
        text: `"quoted" ${i}\n`,
        flag: i % 2 === 0,
        gone: undefined,
      });
    }
  });

  it('replaces a row written before (a property not given again is gone)', async () => {
    const table = await freshTable();
    await upsertBatch(table, [{ partitionKey: 'p', rowKey: 'r', a: 'one', b: 'two' }]);
    await upsertBatch(table, [{ partitionKey: 'p', rowKey: 'r', a: 'three' }]);
    const entity = await table.getEntity<{ a: string; b?: string }>('p', 'r');
    expect([entity.a, entity.b]).toEqual(['three', undefined]);
  });

  it('a refused transaction writes none of its rows and names why', async () => {
    const table = await freshTable();
    const rows = [
      { partitionKey: 'p', rowKey: 'fine', a: 'x' },
      { partitionKey: 'p', rowKey: 'too-big', a: 'x'.repeat(70_000) },
    ];
    const failure = await upsertBatch(table, rows).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TableBatchError);
    expect((failure as TableBatchError).status).toBeGreaterThanOrEqual(400);
    await expect(table.getEntity('p', 'fine')).rejects.toMatchObject({ statusCode: 404 });
  });

  it('an empty list sends nothing', async () => {
    const table = createTableClient(storage, 'batchNeverCreated');
    await expect(upsertBatch(table, [])).resolves.toBeUndefined();
  });
});

describe('the pure parts', () => {
  it('keys: quotes doubled, then percent-encoded', () => {
    expect(keyInPath("it's 100%")).toBe("it''s%20100%25");
  });
  it('an answer is a success only with 202 and every operation 2xx', () => {
    const ok = 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 204 No Content\r\n';
    expect(batchFailureOf(202, ok, 2)).toBeUndefined();
    expect(batchFailureOf(202, ok, 3)).toBeInstanceOf(TableBatchError);
    expect(batchFailureOf(400, '', 1)?.status).toBe(400);
    const refused =
      'HTTP/1.1 400 Bad Request\r\n\r\n{"odata.error":{"code":"PropertyValueTooLarge","message":{"lang":"en-US","value":"The property value exceeds the maximum allowed size.\\nRequestId:1"}}}';
    expect(batchFailureOf(202, refused, 2)?.message).toMatch(/400.*PropertyValueTooLarge: The property value exceeds/);
  });
});
