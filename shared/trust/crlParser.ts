/**
 * Parses CRLs in a worker thread so a large CRL (100,000 entries is several megabytes) never
 * blocks the event loop that serves decisions; the result is rebuilt in slices on this thread.
 * One worker, started on first use, restarted if it dies; a parse that takes too long fails.
 * May import: node built-ins, the cert core.
 */
import { existsSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { CrlParseFailure, ParsedCrl } from '../cert/revocation/crl.js';
import { unpackCrl, type PackedCrl } from '../cert/revocation/crlTransfer.js';

/**
 * The worker's entry beside this module: `crlParseWorker.ts` from source, `.js` compiled. In the
 * deployment bundle (scripts/bundle.ts) the worker is `dist/app/crlParseWorker.js`, next to
 * `main.js`, while this module may have been split into `dist/app/chunks/`: then it is one up.
 */
function workerEntry(fromSource: boolean): URL {
  const beside = new URL(`./crlParseWorker.${fromSource ? 'ts' : 'js'}`, import.meta.url);
  if (fromSource || existsSync(fileURLToPath(beside))) return beside;
  const above = new URL('../crlParseWorker.js', import.meta.url);
  return existsSync(fileURLToPath(above)) ? above : beside;
}

type Reply = { id: number; packed: PackedCrl } | { id: number; failure: CrlParseFailure };

/** Parses CRL bytes (DER or PEM) off the main thread. */
export class CrlParser {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();

  constructor(private readonly timeoutMs = 30_000) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    // The compiled app runs the .js entry; from source (tsx, vitest) the worker registers tsx's
    // loader first, then imports the TypeScript entry.
    const fromSource = import.meta.url.endsWith('.ts');
    const entry = workerEntry(fromSource);
    const worker = fromSource
      ? new Worker(
          `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(entry.href)}); });`,
          { eval: true },
        )
      : new Worker(entry);
    worker.on('message', (reply: Reply) => {
      this.pending.get(reply.id)?.resolve(reply);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
    });
    const failAll = (error: Error) => {
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
      this.worker = undefined;
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => {
      failAll(new Error(`CRL parser worker exited with code ${code}`));
    });
    // Idle, the worker must not keep the process alive (ref'd only while a parse is pending).
    // After the listeners: attaching a 'message' listener refs the port again.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** The parsed CRL, or a parse failure with its reason; rejects only when the worker fails. */
  async parse(bytes: Uint8Array): Promise<ParsedCrl | CrlParseFailure> {
    const worker = this.start();
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        if (this.pending.size === 0) worker.unref();
        reject(new Error(`CRL parse took longer than ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      timer.unref();
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      worker.ref();
      worker.postMessage({ id, bytes });
    });
    if ('failure' in reply) return reply.failure;
    return unpackCrl(reply.packed, () => nextTurn());
  }

  /** Stops the worker (tests, shutdown). */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
