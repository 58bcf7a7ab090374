import { Backoff, delay, type Logger } from '@driftwatch/common';
import type { BatchOutcome, FlowBatch, FlowStore, UnstorableRows } from '@driftwatch/persistence';

/** A batch waiting for the database, with the bytes it holds (evidence bodies and records, estimated). */
interface Queued {
  readonly batch: FlowBatch;
  readonly bytes: number;
}

export interface WriteQueueOptions {
  /** Batches waiting before `full` holds (default 4). */
  readonly maxBatches: number;
  /** Bytes waiting (here and, as the caller adds them, in open windows) before `full` holds. */
  readonly maxBytes: number;
  readonly logger: Logger;
  /** Rows of a batch that Postgres refused and the store set aside. */
  readonly onUnstorable: (rows: readonly UnstorableRows[]) => void;
  /** Retry delays (default 200 ms doubling to 10 s, equal jitter). */
  readonly backoff?: Backoff;
  /** Told the seconds each batch took to write (the successful attempt; metrics). */
  readonly onWritten?: (seconds: number) => void;
}

/**
 * The batches waiting for the database, written one at a time in order. A write that fails because the
 * database is unavailable is retried with backoff (logged once when it starts failing, once when it succeeds
 * again); nothing is dropped. Rows Postgres refuses are set aside by the store and reported to `onUnstorable`.
 * Backpressure: `full(extraBytes)` says when callers should wait (`whenRoom()`) before taking more input.
 */
export class WriteQueue {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private failing: string | undefined;
  private readonly backoff: Backoff;
  private readonly stop = new AbortController();
  /** Batches written so far (progress, for `close`). */
  private completed = 0;

  constructor(
    private readonly store: Pick<FlowStore, 'writeBatch'>,
    private readonly options: WriteQueueOptions,
  ) {
    this.backoff = options.backoff ?? new Backoff(200, 10_000);
  }

  get batches(): number {
    return this.queue.length;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  /** Queues a batch and starts writing if idle. */
  push(batch: FlowBatch, bytes: number): void {
    this.queue.push({ batch, bytes });
    this.queuedBytes += bytes;
    this.writing ??= this.drain();
  }

  /** Whether callers should wait: too many batches, or the bytes queued plus `extraBytes` are over budget. */
  full(extraBytes = 0): boolean {
    return this.queue.length >= this.options.maxBatches || this.queuedBytes + extraBytes >= this.options.maxBytes;
  }

  /** Resolves the next time a batch has been written (or the queue is abandoned). */
  whenWritten(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once every batch queued so far is written. */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  /**
   * Waits for the queue to empty while the database makes progress. When no batch could be written for
   * `timeoutMs` because writes fail (the database is down), or for 6 × `timeoutMs` whatever the reason (a
   * connection that hangs), stops retrying, logs one line saying what was not stored, and rejects.
   */
  async close(timeoutMs: number): Promise<void> {
    let done = false;
    const idle = this.idle().then(() => (done = true));
    let progress = this.completed;
    let since = Date.now();
    const step = Math.max(10, Math.min(250, timeoutMs / 4));
    while (!done) {
      await Promise.race([idle, delay(step)]);
      if (done) return;
      if (this.completed !== progress) {
        progress = this.completed;
        since = Date.now();
        continue;
      }
      const stalled = Date.now() - since;
      if ((this.failing !== undefined && stalled >= timeoutMs) || stalled >= timeoutMs * 6) break;
    }
    this.stop.abort();
    const left = this.queue.splice(0);
    this.queuedBytes = 0;
    this.wake();
    const sum = (pick: (b: FlowBatch) => number) => left.reduce((n, q) => n + pick(q.batch), 0);
    const what = `${left.length} batch(es) not stored: ${sum((b) => b.records.length)} flow records, ${sum((b) => b.evidence.length)} evidence rows, ${sum((b) => b.events.length)} collector events, ${sum((b) => b.states.length)} source positions`;
    const stalled = Math.round((Date.now() - since) / 1000);
    const line = `gave up writing after ${stalled} s without progress (${this.failing ?? 'the database did not answer'}); ${what}`;
    this.options.logger.error(line);
    throw new Error(`flows could not be written: ${line}`);
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stop.signal.aborted) {
      const head = this.queue[0] as Queued;
      let outcome: BatchOutcome | void;
      const started = performance.now();
      try {
        outcome = await this.store.writeBatch(head.batch);
      } catch (error) {
        if (this.stop.signal.aborted) break;
        const message = (error as Error)?.message ?? String(error);
        if (this.failing === undefined) this.options.logger.error(`cannot write flows (${message}); retrying with backoff, nothing is dropped`);
        this.failing = message;
        await delay(this.backoff.next(), this.stop.signal);
        continue;
      }
      this.options.onWritten?.((performance.now() - started) / 1000);
      if (this.failing !== undefined) this.options.logger.log('database writes succeed again');
      this.failing = undefined;
      this.backoff.reset();
      this.completed += 1;
      if (this.queue[0] === head) {
        this.queue.shift();
        this.queuedBytes -= head.bytes;
      }
      if (outcome && outcome.unstorable.length > 0) this.options.onUnstorable(outcome.unstorable);
      this.wake();
    }
    this.writing = undefined;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}
