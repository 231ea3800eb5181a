/**
 * Builds Storage clients (tables, blobs) from the storage config: a connection string (Azurite,
 * dev) or the account name with the managed identity (`DefaultAzureCredential`, production).
 *
 * Every storage call has a deadline that covers its retries: a silent account (connection
 * accepted, no answer) costs a caller at most that long, never the SDK's own minutes. Table
 * clients get it from a pipeline policy that runs before the retry policy, so no call site can
 * forget it; blob adapters pass {@link withDeadline}'s signal on each call (the blob pipeline
 * takes no extra policies). A call past its deadline is a {@link StorageDeadlineError}, which the
 * adapters turn into the `StoreError` `unavailable` ("deadline exceeded").
 * May import: @azure/data-tables, @azure/storage-blob, @azure/identity, our config types, ports.
 */
import { TableClient, type TableServiceClientOptions } from '@azure/data-tables';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import type { StorageConfig } from '../config.js';
import { StoreError } from '../ports.js';
import { CertgateError } from '../errors.js';

let credential: TokenCredential | undefined;

/**
 * The managed identity (`DefaultAzureCredential`), loaded on its first token request: @azure/identity
 * is a large module graph that a worker with a connection string never needs, and a managed-identity
 * worker needs only once its first storage call goes out, so it stays out of the cold start.
 */
function lazyDefaultCredential(): TokenCredential {
  let loaded: Promise<TokenCredential> | undefined;
  const load = (): Promise<TokenCredential> =>
    (loaded ??= import('@azure/identity').then(
      ({ DefaultAzureCredential }) => new DefaultAzureCredential(),
      (error: unknown) => {
        loaded = undefined;
        throw error;
      },
    ));
  return {
    getToken: async (scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> =>
      (await load()).getToken(scopes, options),
  };
}

/** Deadline of a storage call when the caller names none (the management default). */
export const DEFAULT_STORAGE_DEADLINE_MS = 10_000;

/** Per-client options: the deadline of each call, retries included. */
export interface StorageCallOptions {
  readonly deadlineMs: number;
}

/** A storage call that did not finish within its deadline (the account is slow or silent). */
export class StorageDeadlineError extends CertgateError {
  readonly code = 'storage-deadline-exceeded';
  constructor(
    readonly deadlineMs: number,
    options?: { cause?: unknown },
  ) {
    super(`no answer within ${deadlineMs} ms (deadline exceeded)`, options);
    this.name = 'StorageDeadlineError';
  }
}

/**
 * Runs `call` with a signal that aborts at the deadline, and settles by the deadline even if the
 * call ignored the signal: past it, a {@link StorageDeadlineError}.
 */
export async function withDeadline<T>(deadlineMs: number, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = AbortSignal.timeout(deadlineMs);
  const expired = new Promise<never>((_, reject) => {
    const onAbort = () => {
      reject(new StorageDeadlineError(deadlineMs));
    };
    if (deadline.aborted) onAbort();
    else deadline.addEventListener('abort', onAbort, { once: true });
  });
  expired.catch(() => undefined);
  const running = call(deadline);
  running.catch(() => undefined);
  try {
    return await Promise.race([running, expired]);
  } catch (error) {
    if (deadline.aborted && !(error instanceof StorageDeadlineError))
      throw new StorageDeadlineError(deadlineMs, { cause: error });
    throw error;
  }
}

/**
 * The `StoreError` for a failed storage call that is not a definite answer (404, 409, 412 are
 * mapped by the adapters): `unavailable`, saying whether the deadline passed or the service failed.
 */
export function storeUnavailable(what: string, service: 'table storage' | 'blob storage', error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const detail =
    error instanceof StorageDeadlineError
      ? `${service} did not answer within ${error.deadlineMs} ms (deadline exceeded)`
      : `${service} unavailable`;
  return new StoreError('unavailable', `${what}: ${detail}`, { cause: error });
}

type PipelinePolicy = NonNullable<TableServiceClientOptions['additionalPolicies']>[number]['policy'];
type AbortSignalOfRequest = Parameters<PipelinePolicy['sendRequest']>[0]['abortSignal'];

/** The caller's signal (if any) and the deadline's, as one. */
function eitherSignal(callers: AbortSignalOfRequest, deadline: AbortSignal): AbortSignal {
  if (!callers) return deadline;
  if (callers instanceof AbortSignal) return AbortSignal.any([callers, deadline]);
  const both = new AbortController();
  const abort = () => {
    both.abort();
  };
  if (callers.aborted) abort();
  callers.addEventListener('abort', abort);
  deadline.addEventListener('abort', abort, { once: true });
  return both.signal;
}

/** A per-call (outside the retries) policy that bounds each Table operation by `deadlineMs`. */
function deadlinePolicy(deadlineMs: number): PipelinePolicy {
  return {
    name: 'certgateStorageDeadline',
    sendRequest: (request, next) =>
      withDeadline(deadlineMs, (deadline) => {
        request.abortSignal = eitherSignal(request.abortSignal, deadline);
        return next(request);
      }),
  };
}

/**
 * Few, quick retries: the decision path would rather serve its last good copy than wait; the deadline bounds them all.
 */
const tableRetryOptions = { maxRetries: 2, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 };

/** A client for one table; the table itself is created on first use by the adapter. */
export function createTableClient(
  storage: StorageConfig,
  tableName: string,
  options: StorageCallOptions = { deadlineMs: DEFAULT_STORAGE_DEADLINE_MS },
): TableClient {
  const clientOptions: TableServiceClientOptions = {
    retryOptions: tableRetryOptions,
    additionalPolicies: [{ policy: deadlinePolicy(options.deadlineMs), position: 'perCall' }],
  };
  if (storage.kind === 'connection-string') {
    return TableClient.fromConnectionString(storage.connectionString, tableName, {
      ...clientOptions,
      allowInsecureConnection: true,
    });
  }
  credential ??= lazyDefaultCredential();
  return new TableClient(`https://${storage.accountName}.table.core.windows.net`, tableName, credential, clientOptions);
}

/**
 * A client for one blob container; the container is created on first use by the adapter. Blob
 * calls take their deadline per call ({@link withDeadline}); the retries are few and quick.
 */
export function createContainerClient(storage: StorageConfig, containerName: string): ContainerClient {
  const options = { retryOptions: { maxTries: 3, retryDelayInMs: 200, maxRetryDelayInMs: 1_000 } };
  if (storage.kind === 'connection-string') {
    return BlobServiceClient.fromConnectionString(storage.connectionString, options).getContainerClient(containerName);
  }
  credential ??= lazyDefaultCredential();
  return new BlobServiceClient(
    `https://${storage.accountName}.blob.core.windows.net`,
    credential,
    options,
  ).getContainerClient(containerName);
}

/**
 * Creates the container on first use (once; again after a failure), for adapters that keep blobs:
 * the returned function resolves when the container exists and rejects with a `StoreError`
 * (`unavailable`) naming `what` when Blob Storage does not answer (within `deadlineMs`).
 */
export function containerOnFirstUse(
  container: ContainerClient,
  what: string,
  options: StorageCallOptions = { deadlineMs: DEFAULT_STORAGE_DEADLINE_MS },
): () => Promise<void> {
  let ready: Promise<void> | undefined;
  return () => {
    ready ??= withDeadline(options.deadlineMs, (abortSignal) => container.createIfNotExists({ abortSignal })).then(
      () => undefined,
      (error: unknown) => {
        ready = undefined;
        throw storeUnavailable(`create the ${what} container`, 'blob storage', error);
      },
    );
    return ready;
  };
}
