/**
 * Worker-thread entry: parses CRLs off the main thread and posts them back packed
 * (`shared/cert/revocation/crlTransfer.ts`).
 * May import: node:worker_threads, the cert core.
 */
import { parentPort } from 'node:worker_threads';
import { isCrlParseFailure, parseCrl } from '../cert/revocation/crl.js';
import { packCrl } from '../cert/revocation/crlTransfer.js';

interface ParseRequest {
  readonly id: number;
  readonly bytes: Uint8Array;
}

parentPort?.on('message', (request: ParseRequest) => {
  const parsed = parseCrl(request.bytes);
  if (isCrlParseFailure(parsed)) {
    parentPort?.postMessage({ id: request.id, failure: parsed });
    return;
  }
  const { packed, transfer } = packCrl(parsed);
  parentPort?.postMessage({ id: request.id, packed }, transfer);
});
