/**
 * How the directory cache's misses travel: the misses of one event-loop turn (every request being
 * served concurrently) are queued and sent together, cut into batches of at most 20 questions (a
 * Graph JSON batch), so a miss waits at most one turn longer than a call of its own would; and a
 * question queued or in flight is asked once (single flight): identical questions join it.
 *
 * The only timer is the flush: one `setImmediate`, scheduled only while misses are queued (it keeps
 * the process alive for one turn at most). Whether a batch may go out, and how it is sent, is the
 * sender's business; a flush that fails (a bug, a clock that throws) settles what it did not send,
 * so nobody waits forever, and nothing escapes the `setImmediate` callback.
 * May import: nothing.
 */

/** The promise of each question queued or in flight, by key, for identical questions to join. */
export class SingleFlight<R> {
  private readonly flights = new Map<string, Promise<R>>();

  /** The result of the identical question in flight, if any. */
  get(key: string): Promise<R> | undefined {
    return this.flights.get(key);
  }

  has(key: string): boolean {
    return this.flights.has(key);
  }

  /** The question under `key` is in flight until {@link land}; `result` is what joiners get. */
  fly(key: string, result: Promise<R>): void {
    this.flights.set(key, result);
  }

  /** The question under `key` is no longer in flight (its round trip settled, or it was never sent). */
  land(key: string): void {
    this.flights.delete(key);
  }
}

/** What the batcher needs from its owner to send one turn's misses. */
export interface BatchSender<I, R> {
  /** The time of the flush, read once before the first batch (every batch is admitted at it). */
  readonly now: () => number;
  /**
   * Sends one batch, or refuses it; one result per item, in order. Sent items stay in flight until
   * their round trip settles (the sender lands them); refused ones the batcher lands.
   */
  readonly send: (
    batch: readonly I[],
    now: number,
  ) => { readonly sent: Promise<readonly R[]> } | { readonly refused: R };
  /** The result of a question that got no answer (`detail` says why), e.g. left unsent when the flush itself failed. */
  readonly failed: (detail: string) => R;
  /** Where a failed flush is reported. */
  readonly log: (event: Record<string, unknown>) => void;
}

interface Queued<I, R> {
  readonly item: I;
  readonly resolve: (result: R) => void;
}

/** Queues the misses of a turn and sends them together at its end; see the module header. */
export class MissBatcher<I extends { readonly key: string }, R> {
  private queue: Queued<I, R>[] = [];
  private flushScheduled = false;

  constructor(
    private readonly flights: SingleFlight<R>,
    private readonly sender: BatchSender<I, R>,
    private readonly batchLimit: number,
  ) {}

  /** Queues a question that must be asked; it is in flight from now (identical questions join it). */
  enqueue(item: I): Promise<R> {
    let resolve: (result: R) => void = () => undefined;
    const result = new Promise<R>((done) => {
      resolve = done;
    });
    this.flights.fly(item.key, result);
    this.queue.push({ item, resolve });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flush();
      });
    }
    return result;
  }

  private flush(): void {
    this.flushScheduled = false;
    const queued = this.queue;
    this.queue = [];
    let sent = 0;
    try {
      const now = this.sender.now();
      for (; sent < queued.length; sent += this.batchLimit) {
        const batch = queued.slice(sent, sent + this.batchLimit);
        const outcome = this.sender.send(
          batch.map(({ item }) => item),
          now,
        );
        if ('refused' in outcome) {
          this.settleUnsent(batch, outcome.refused);
          continue;
        }
        void outcome.sent.then((results) => {
          batch.forEach(({ resolve }, index) => {
            resolve(results[index] ?? this.sender.failed('no answer'));
          });
        });
      }
    } catch (error) {
      this.settleUnsent(queued.slice(sent), this.sender.failed(`directory cache failed: ${String(error)}`));
      try {
        this.sender.log({ event: 'certgate.graph.cache-failed', error: String(error) });
      } catch {
        // A logger that throws is not worth crashing the worker for.
      }
    }
  }

  /** Settles queued questions that will not be sent: they leave flight and get `result`. */
  private settleUnsent(queued: readonly Queued<I, R>[], result: R): void {
    for (const { item, resolve } of queued) {
      this.flights.land(item.key);
      resolve(result);
    }
  }
}
