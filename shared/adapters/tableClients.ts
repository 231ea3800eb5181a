/**
 * Builds Table Storage clients from the storage config: a connection string (Azurite, dev) or the
 * account name with the managed identity (`DefaultAzureCredential`, production).
 * May import: @azure/data-tables, @azure/identity, our config types.
 */
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import type { StorageConfig } from '../config.js';

let credential: DefaultAzureCredential | undefined;

// Few, quick retries: the decision path would rather serve its last good copy than wait.
const retryOptions = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 };

/** A client for one table; the table itself is created on first use by the adapter. */
export function createTableClient(storage: StorageConfig, tableName: string): TableClient {
  if (storage.kind === 'connection-string') {
    return TableClient.fromConnectionString(storage.connectionString, tableName, { allowInsecureConnection: true, retryOptions });
  }
  credential ??= new DefaultAzureCredential();
  return new TableClient(`https://${storage.accountName}.table.core.windows.net`, tableName, credential, { retryOptions });
}
