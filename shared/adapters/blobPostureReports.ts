/**
 * The latest Conditional Access posture report in Blob Storage: one JSON blob
 * (`conditional-access-posture.json`) in the reports container, replaced on every run. The
 * container is created on first use. Every storage failure, and a stored blob that is not a
 * posture report this version can read, is a `StoreError` (`unavailable`); so is a call past its
 * deadline (`deadlineMs`, retries included).
 * May import: @azure/storage-blob, zod, ports, the posture report types.
 */
import type { ContainerClient } from '@azure/storage-blob';
import { z } from 'zod';
import {
  containerOnFirstUse,
  DEFAULT_STORAGE_DEADLINE_MS,
  storeUnavailable,
  withDeadline,
  type StorageCallOptions,
} from './storageClients.js';
import { StoreError, type PostureReportStore } from '../ports.js';
import { POSTURE_REPORT_SCHEMA_VERSION, type PostureReport } from '../policy/conditionalAccessPosture.js';

/** The blob that holds the latest report. */
export const POSTURE_REPORT_BLOB = 'conditional-access-posture.json';

// The document is certgate's own output: check what identifies it and its version, not every field.
const StoredReportHead = z.looseObject({
  schemaVersion: z.literal(POSTURE_REPORT_SCHEMA_VERSION),
  kind: z.literal('conditional-access-posture'),
  summary: z.looseObject({ status: z.enum(['complete', 'failed', 'graph-disabled']), generatedAt: z.string() }),
});

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'statusCode' in error && error.statusCode === 404;
}

/** {@link PostureReportStore} over one blob container. */
export class BlobPostureReports implements PostureReportStore<PostureReport> {
  private readonly ensureContainer: () => Promise<void>;
  private readonly deadlineMs: number;

  constructor(
    private readonly container: ContainerClient,
    options: StorageCallOptions = { deadlineMs: DEFAULT_STORAGE_DEADLINE_MS },
  ) {
    this.deadlineMs = options.deadlineMs;
    this.ensureContainer = containerOnFirstUse(container, 'posture report', options);
  }

  async save(report: PostureReport): Promise<void> {
    await this.ensureContainer();
    const body = Buffer.from(JSON.stringify(report), 'utf8');
    try {
      await withDeadline(this.deadlineMs, (abortSignal) =>
        this.container.getBlockBlobClient(POSTURE_REPORT_BLOB).uploadData(body, {
          abortSignal,
          blobHTTPHeaders: { blobContentType: 'application/json; charset=utf-8' },
          metadata: { generatedat: report.summary.generatedAt, status: report.summary.status },
        }),
      );
    } catch (error) {
      throw storeUnavailable('save the posture report', 'blob storage', error);
    }
  }

  async latest(): Promise<PostureReport | undefined> {
    await this.ensureContainer();
    let bytes: Buffer;
    try {
      bytes = await withDeadline(this.deadlineMs, (abortSignal) =>
        this.container.getBlockBlobClient(POSTURE_REPORT_BLOB).downloadToBuffer(0, undefined, { abortSignal }),
      );
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw storeUnavailable('read the posture report', 'blob storage', error);
    }
    let json: unknown;
    try {
      json = JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw new StoreError('unavailable', `the stored posture report (${POSTURE_REPORT_BLOB}) is not JSON`, {
        cause: error,
      });
    }
    const head = StoredReportHead.safeParse(json);
    if (!head.success) {
      throw new StoreError(
        'unavailable',
        `the stored posture report (${POSTURE_REPORT_BLOB}) is not a schemaVersion ${POSTURE_REPORT_SCHEMA_VERSION} posture report: run the report again`,
        { cause: head.error },
      );
    }
    return json as PostureReport;
  }
}
