/**
 * Builds Storage clients (tables, blobs) from the storage config: a connection string (Azurite,
 * dev) or the account name with the managed identity (`DefaultAzureCredential`, production).
 * May import: @azure/data-tables, @azure/storage-blob, @azure/identity, our config types.
 */
import { TableClient } from '@azure/data-tables';
import { DefaultAzureCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { StorageConfig } from '../config.js';
import { StoreError } from '../ports.js';

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

/** A client for one blob container; the container is created on first use by the adapter. */
export function createContainerClient(storage: StorageConfig, containerName: string): ContainerClient {
  const options = { retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 } };
  if (storage.kind === 'connection-string') {
    return BlobServiceClient.fromConnectionString(storage.connectionString, options).getContainerClient(containerName);
  }
  credential ??= new DefaultAzureCredential();
  return new BlobServiceClient(`https://${storage.accountName}.blob.core.windows.net`, credential, options).getContainerClient(containerName);
}

/**
 * Creates the container on first use (once; again after a failure), for adapters that keep blobs:
 * the returned function resolves when the container exists and rejects with a `StoreError`
 * (`unavailable`) naming `what` when Blob Storage does not answer.
 */
export function containerOnFirstUse(container: ContainerClient, what: string): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= container.createIfNotExists().then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw new StoreError('unavailable', `create the ${what} container: blob storage unavailable`, { cause: error });
      },
    );
    return ready;
  };
}
