/**
 * Last-good CRLs in Blob Storage: one blob per distribution point URL (named by the URL's SHA-256),
 * the raw bytes as fetched, and the URL, fetch time and HTTP validators as metadata.
 * Every call has a deadline (`deadlineMs`, retries included); past it the call is a `StoreError`
 * (`unavailable`, deadline exceeded).
 * May import: @azure/storage-blob, ports, node:crypto, ./storageClients.js.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import type { ArchivedCrl, CrlArchive } from '../ports.js';
import {
  containerOnFirstUse,
  DEFAULT_STORAGE_DEADLINE_MS,
  storeUnavailable,
  withDeadline,
  type StorageCallOptions,
} from './storageClients.js';

function blobName(url: string): string {
  return `${createHash('sha256').update(url).digest('hex')}.crl`;
}

/** {@link CrlArchive} over one blob container. */
export class BlobCrlArchive implements CrlArchive {
  private readonly ensureContainer: () => Promise<void>;
  private readonly deadlineMs: number;

  constructor(
    private readonly container: ContainerClient,
    options: StorageCallOptions = { deadlineMs: DEFAULT_STORAGE_DEADLINE_MS },
  ) {
    this.deadlineMs = options.deadlineMs;
    this.ensureContainer = containerOnFirstUse(container, 'CRL', options);
  }

  async get(url: string): Promise<ArchivedCrl | undefined> {
    await this.ensureContainer();
    const blob = this.container.getBlockBlobClient(blobName(url));
    try {
      const bytes = await withDeadline(this.deadlineMs, (abortSignal) =>
        blob.downloadToBuffer(0, undefined, { abortSignal }),
      );
      const { metadata = {} } = await withDeadline(this.deadlineMs, (abortSignal) =>
        blob.getProperties({ abortSignal }),
      );
      return {
        url,
        bytes: new Uint8Array(bytes),
        fetchedAt: metadata.fetchedat ?? new Date(0).toISOString(),
        ...(metadata.etag ? { etag: decodeURIComponent(metadata.etag) } : {}),
        ...(metadata.lastmodified ? { lastModified: decodeURIComponent(metadata.lastmodified) } : {}),
      };
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 404)
        return undefined;
      throw storeUnavailable(`read archived CRL for ${url}`, 'blob storage', error);
    }
  }

  async put(crl: ArchivedCrl): Promise<void> {
    await this.ensureContainer();
    try {
      await withDeadline(this.deadlineMs, (abortSignal) =>
        this.container.getBlockBlobClient(blobName(crl.url)).uploadData(crl.bytes, {
          abortSignal,
          blobHTTPHeaders: { blobContentType: 'application/pkix-crl' },
          metadata: {
            url: encodeURIComponent(crl.url),
            fetchedat: crl.fetchedAt,
            ...(crl.etag ? { etag: encodeURIComponent(crl.etag) } : {}),
            ...(crl.lastModified ? { lastmodified: encodeURIComponent(crl.lastModified) } : {}),
          },
        }),
      );
    } catch (error) {
      throw storeUnavailable(`archive CRL for ${crl.url}`, 'blob storage', error);
    }
  }

  async list(): Promise<string[]> {
    await this.ensureContainer();
    try {
      // One deadline for the whole listing (all pages): the archive is small.
      return await withDeadline(this.deadlineMs, async (abortSignal) => {
        const urls: string[] = [];
        for await (const item of this.container.listBlobsFlat({ includeMetadata: true, abortSignal })) {
          const url = item.metadata?.url;
          if (url) urls.push(decodeURIComponent(url));
        }
        return urls;
      });
    } catch (error) {
      throw storeUnavailable('list archived CRLs', 'blob storage', error);
    }
  }
}
