/**
 * Last-good CRLs in Blob Storage: one blob per distribution point URL (named by the URL's SHA-256),
 * the raw bytes as fetched, and the URL, fetch time and HTTP validators as metadata.
 * May import: @azure/storage-blob, ports, node:crypto, ./storageClients.js.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { createHash } from 'node:crypto';
import { StoreError, type ArchivedCrl, type CrlArchive } from '../ports.js';
import { containerOnFirstUse } from './storageClients.js';

function blobName(url: string): string {
  return `${createHash('sha256').update(url).digest('hex')}.crl`;
}

/** {@link CrlArchive} over one blob container. */
export class BlobCrlArchive implements CrlArchive {
  private readonly ensureContainer: () => Promise<void>;

  constructor(private readonly container: ContainerClient) {
    this.ensureContainer = containerOnFirstUse(container, 'CRL');
  }

  async get(url: string): Promise<ArchivedCrl | undefined> {
    await this.ensureContainer();
    const blob = this.container.getBlockBlobClient(blobName(url));
    try {
      const bytes = await blob.downloadToBuffer();
      const { metadata = {} } = await blob.getProperties();
      return {
        url,
        bytes: new Uint8Array(bytes),
        fetchedAt: metadata.fetchedat ?? new Date(0).toISOString(),
        ...(metadata.etag ? { etag: decodeURIComponent(metadata.etag) } : {}),
        ...(metadata.lastmodified ? { lastModified: decodeURIComponent(metadata.lastmodified) } : {}),
      };
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 404) return undefined;
      throw new StoreError('unavailable', `read archived CRL for ${url}`, { cause: error });
    }
  }

  async put(crl: ArchivedCrl): Promise<void> {
    await this.ensureContainer();
    try {
      await this.container.getBlockBlobClient(blobName(crl.url)).uploadData(crl.bytes, {
        blobHTTPHeaders: { blobContentType: 'application/pkix-crl' },
        metadata: {
          url: encodeURIComponent(crl.url),
          fetchedat: crl.fetchedAt,
          ...(crl.etag ? { etag: encodeURIComponent(crl.etag) } : {}),
          ...(crl.lastModified ? { lastmodified: encodeURIComponent(crl.lastModified) } : {}),
        },
      });
    } catch (error) {
      throw new StoreError('unavailable', `archive CRL for ${crl.url}`, { cause: error });
    }
  }

  async list(): Promise<string[]> {
    await this.ensureContainer();
    const urls: string[] = [];
    try {
      for await (const item of this.container.listBlobsFlat({ includeMetadata: true })) {
        const url = item.metadata?.url;
        if (url) urls.push(decodeURIComponent(url));
      }
    } catch (error) {
      throw new StoreError('unavailable', 'list archived CRLs', { cause: error });
    }
    return urls;
  }
}
