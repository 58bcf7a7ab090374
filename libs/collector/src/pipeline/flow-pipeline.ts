import { silentLogger, type Logger } from '@driftwatch/common';
import type { CalicoNormalizeResult, Classification, Flow, FlowObserver, HubbleNormalizeResult } from '@driftwatch/flow';
import type { CollectorEventRow, FlowStore, UnstorableRows } from '@driftwatch/persistence';
import { ClassifyStage, type ActiveRevision, type PipelineSummary } from './classify-stage.js';
import { GapTally, type RejectedMessage } from './gap-tally.js';
import { LogThrottle } from './log-throttle.js';
import { RecentIds } from './recent-ids.js';
import { SourceCounters, type SourceCounts } from './source-counters.js';
import { SourceCursors } from './source-cursors.js';
import { WindowAggregator } from './window-aggregator.js';
import { WriteQueue } from './write-queue.js';

export type { ActiveRevision, PipelineSummary } from './classify-stage.js';

export interface FlowPipelineOptions {
  /** Where batches go; without one the pipeline only classifies and counts (offline evaluation). */
  readonly store?: Pick<FlowStore, 'writeBatch'>;
  /** Aggregation window in ms (default 10,000); 0 writes one record per flow. */
  readonly windowMs?: number;
  /** Raw bodies kept per key and window for denied and unexpected flows (default 3). */
  readonly evidencePerKey?: number;
  /** Flow ids remembered for deduplication (default 250,000: minutes of a busy relay, beyond any resume overlap). */
  readonly dedupeCapacity?: number;
  /** Batches queued for the database before `accept` asks its caller to wait (default 4). */
  readonly maxPendingBatches?: number;
  /**
   * Bytes (evidence bodies and records, estimated) held for the database, in open windows and queued batches,
   * before `accept` asks its caller to wait (default 64 MiB). Open windows are flushed at half of it.
   */
  readonly maxPendingBytes?: number;
  /** Open records after which everything is flushed, closed or not (default 20,000). */
  readonly maxOpenRecords?: number;
  /**
   * How long `close` waits for a database whose writes fail before it gives up (default 10,000 ms); a database
   * that stops answering without failing is given 6 times as long. Writes that make progress are always awaited.
   */
  readonly closeTimeoutMs?: number;
  /** Called for every flow after classification (the `evaluate` CLI prints from here). */
  readonly onFlow?: (flow: Flow, classification: Classification) => void;
  /** Seen by every distinct flow the moment it is classified (see {@link FlowObserver}); more with `addObserver`. */
  readonly observers?: readonly FlowObserver[];
  /** Write failures (error), gaps and malformed input (warn, rate-limited), progress (log). */
  readonly logger?: Logger;
}

type NormalizeResult = HubbleNormalizeResult | CalicoNormalizeResult;

/** Flow times Postgres and a resume cursor can hold: 1970 to the end of year 9999 (epoch ms). */
const LATEST_TIME = 253_402_300_799_999;

/**
 * The path from a normalized message to Postgres, composed of one piece per idea: {@link SourceCursors} (where
 * each source stands), {@link ClassifyStage} (classify, count, show to observers), {@link GapTally} (malformed and
 * lost, per source and batch), {@link WindowAggregator} and {@link WriteQueue} (batches, retries, backpressure).
 * Backpressure: when too many batches or bytes wait for the database, `accept` returns a promise; callers pause
 * their stream until it resolves.
 */
export class FlowPipeline {
  readonly summary: PipelineSummary = { flows: 0, allowed: 0, denied: 0, unexpected: 0, skipped: 0, lost: 0, duplicates: 0, malformed: 0 };
  private readonly classify: ClassifyStage;
  private readonly cursors = new SourceCursors();
  private readonly gaps: GapTally;
  private readonly aggregator: WindowAggregator;
  private readonly recent: RecentIds;
  private readonly writes: WriteQueue | undefined;
  private readonly unstorableLog: LogThrottle;
  private readonly logger: Logger;
  private events: CollectorEventRow[] = [];
  private watermark = 0;
  private flushedUpTo = 0;
  private readonly windowMs: number;
  private readonly maxOpen: number;
  private readonly maxBytes: number;
  private readonly closeTimeoutMs: number;
  private lastActivity = Date.now();
  private timer: NodeJS.Timeout | undefined;
  /** Largest number of bytes held (open windows and queue) so far: what backpressure bounds. */
  private peak = 0;
  /** Most bytes one flow added so far: room kept free for the next one, so the budget holds. */
  private largestAdd = 0;
  /** Per-source counts since start, for metrics ({@link sourceStats}). */
  private readonly counters = new SourceCounters();
  private readonly writeListeners: ((seconds: number) => void)[] = [];

  constructor(revision: ActiveRevision, options: FlowPipelineOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.classify = new ClassifyStage(revision, this.summary, this.logger, options.observers ?? [], options.onFlow);
    this.windowMs = options.windowMs ?? 10_000;
    this.aggregator = new WindowAggregator(this.windowMs, options.evidencePerKey ?? 3);
    this.recent = new RecentIds(options.dedupeCapacity ?? 250_000);
    this.gaps = new GapTally(this.logger);
    this.unstorableLog = new LogThrottle((line) => this.logger.error(line));
    this.maxOpen = options.maxOpenRecords ?? 20_000;
    this.maxBytes = options.maxPendingBytes ?? 64 * 1024 * 1024;
    this.closeTimeoutMs = options.closeTimeoutMs ?? 10_000;
    if (options.store) {
      this.writes = new WriteQueue(options.store, {
        maxBatches: options.maxPendingBatches ?? 4,
        maxBytes: this.maxBytes,
        logger: this.logger,
        onUnstorable: (rows) => this.unstorable(rows),
        onWritten: (seconds) => {
          for (const listener of this.writeListeners) listener(seconds);
        },
      });
      this.timer = setInterval(() => this.tick(), 1000);
      this.timer.unref();
    }
  }

  /** Switches to a new revision (SIGHUP); flows from now on are classified against it, and observers are told. */
  setRevision(revision: ActiveRevision): void {
    this.classify.setRevision(revision);
  }

  get activeRevision(): ActiveRevision {
    return this.classify.active;
  }

  /** Adds an observer that sees every distinct flow from now on, as it is classified. */
  addObserver(observer: FlowObserver): void {
    this.classify.addObserver(observer);
  }

  /** Declares a source, so its state is saved even before its first flow. */
  registerSource(sourceId: string, kind: string, address: string): void {
    this.cursors.register(sourceId, kind, address);
    this.counters.of(sourceId);
  }

  /**
   * Restores a source's saved position (from `collector_state`), so a restarted collector resumes there and
   * does not count again the flows recorded at exactly that time.
   */
  resumeFrom(sourceId: string, lastSeenTime: number | undefined, ids: readonly string[], lostEvents = 0): void {
    if (!this.cursors.resume(sourceId, lastSeenTime, ids, lostEvents)) return;
    for (const id of ids) this.recent.add(id);
  }

  /** Resume point of a source: the newest flow time it delivered (epoch ms), if any. */
  lastSeen(sourceId: string): number | undefined {
    return this.cursors.lastSeen(sourceId);
  }

  /** Records a connection change of a source (`connected` / `disconnected` events are data too). */
  setConnected(sourceId: string, connected: boolean, error?: string): void {
    const event = this.cursors.setConnected(sourceId, connected, error);
    this.counters.of(sourceId).connected = connected;
    if (event && this.writes) this.events.push(event);
  }

  /**
   * Takes one normalized message. Returns undefined when the caller may go on at once, or a promise to await
   * (with the stream paused) when the database is behind (too many batches, or bytes, waiting for it).
   */
  accept(sourceId: string, result: NormalizeResult): Promise<void> | undefined {
    this.lastActivity = Date.now();
    switch (result.kind) {
      case 'flow':
        this.acceptFlow(sourceId, result.flow);
        break;
      case 'lost_events': {
        const lost = result.lostEvents;
        const before = this.summary.lost;
        this.summary.lost = Math.min(Number.MAX_SAFE_INTEGER, before + (lost.numEventsLost > 0 ? lost.numEventsLost : 0));
        this.cursors.lost(sourceId, lost.numEventsLost);
        this.counters.lost(sourceId, lost.numEventsLost);
        this.gaps.lost(sourceId, lost);
        break;
      }
      case 'node_status':
        if (this.writes) {
          this.events.push({
            collectorId: sourceId,
            at: new Date(),
            kind: 'node_status',
            count: result.nodeStatus.nodeNames.length,
            details: { state: result.nodeStatus.state, nodes: result.nodeStatus.nodeNames, message: result.nodeStatus.message ?? null },
          });
        }
        break;
      case 'skip':
        break;
      case 'error':
        this.reject(sourceId, result.error);
        break;
    }
    return this.backpressure();
  }

  /** Counts and records a message that could not be normalized (or decoded); the stream goes on. */
  reject(sourceId: string, error: RejectedMessage): void {
    this.summary.malformed += 1;
    this.counters.malformed(sourceId, 1);
    this.gaps.malformed(sourceId, error);
  }

  /** What is held for the database now, and the most bytes ever held (open windows and queued batches). */
  get backlog(): { readonly batches: number; readonly bytes: number; readonly peakBytes: number; readonly openRecords: number; readonly tallies: number } {
    return {
      batches: this.writes?.batches ?? 0,
      bytes: this.heldBytes(),
      peakBytes: this.peak,
      openRecords: this.aggregator.openRecords,
      tallies: this.gaps.size,
    };
  }

  /** What each source delivered since start (distinct flows by label, lost, malformed, duplicates) and whether it is connected. */
  sourceStats(): Iterable<Readonly<SourceCounts>> {
    return this.counters.all();
  }

  /** Counters of the active revision's decision cache. */
  decisionCacheStats(): { readonly entries: number; readonly hits: number; readonly misses: number } {
    return this.classify.active.snapshot.cacheStats();
  }

  /** Calls `listener` with the seconds each batch took to write, from now on (metrics). */
  onBatchWritten(listener: (seconds: number) => void): void {
    this.writeListeners.push(listener);
  }

  private acceptFlow(sourceId: string, flow: Flow): void {
    this.summary.flows += 1;
    if (!this.recent.add(flow.id)) {
      this.summary.duplicates += 1;
      this.counters.of(sourceId).duplicates += 1;
      this.cursors.duplicate(sourceId);
      return;
    }
    if (!(flow.time >= 0 && flow.time <= LATEST_TIME)) {
      // A time Postgres (or a resume cursor) cannot hold would poison the source's position: not a flow to keep.
      this.reject(sourceId, { code: 'unstorable', path: 'time', message: `flow time ${flow.time} ms is outside 1970-9999` });
      return;
    }
    this.cursors.advance(sourceId, flow);
    const classification = this.classify.classify(flow);
    this.counters.flow(sourceId, classification.label);
    if (!this.writes) return;
    const added = this.aggregator.add(sourceId, flow, classification, this.classify.active.id);
    if (added > this.largestAdd) this.largestAdd = Math.min(added, this.maxBytes / 2);
    if (flow.time > this.watermark) this.watermark = flow.time;
    if (this.aggregator.openRecords >= this.maxOpen || (added > 0 && this.aggregator.bytes >= this.maxBytes / 2)) this.flush();
    else if (this.watermark - this.flushedUpTo >= this.windowMs * 2 && this.windowMs > 0) this.flush(this.watermark - this.windowMs);
    const held = this.heldBytes();
    if (held > this.peak) this.peak = held;
  }

  private heldBytes(): number {
    return this.aggregator.bytes + (this.writes?.bytes ?? 0);
  }

  private unstorable(rows: readonly UnstorableRows[]): void {
    for (const row of rows) {
      this.summary.malformed += row.count;
      this.counters.malformed(row.collectorId, row.count);
      this.unstorableLog.note(
        `unstorable\u0000${row.collectorId}`,
        row.count,
        () => `${row.collectorId}: set aside ${row.count} row(s) Postgres refuses (${Object.keys(row.tables).join(', ')}: ${row.message}); the rest of the batch is stored`,
        (held) => `${row.collectorId}: set aside ${held} more row(s) Postgres refuses, last: ${row.message}`,
      );
    }
  }

  /** Every second: flush closed windows (everything with window 0); after 2 s without input, flush everything. */
  private tick(): void {
    if (Date.now() - this.lastActivity >= 2000 || this.windowMs === 0) this.flush();
    else this.flush(this.watermark - this.windowMs);
  }

  /**
   * Queues the records of windows closed before `closedBefore` (everything when undefined), with evidence,
   * collector events and the cursors of changed sources, as one batch.
   */
  private flush(closedBefore?: number): void {
    if (!this.writes) return;
    const taken = this.aggregator.take(closedBefore);
    this.flushedUpTo = closedBefore ?? this.watermark;
    const at = new Date();
    const events = this.events;
    this.events = [];
    for (const event of this.gaps.take(at)) events.push(event);
    for (const event of this.cursors.takeDuplicates(at)) events.push(event);
    this.unstorableLog.flush();
    const states = this.cursors.takeStates(() => this.aggregator.oldestOpenWindow());
    if (taken.identities.length + taken.records.length + taken.evidence.length + events.length + states.length === 0) return;
    this.writes.push(
      {
        identities: taken.identities, records: taken.records, evidence: taken.evidence, events, states, recordSources: taken.recordSources,
        evidenceSources: taken.evidenceSources,
      },
      taken.bytes,
    );
  }

  private backpressure(): Promise<void> | undefined {
    const writes = this.writes;
    if (!writes || !writes.full(this.aggregator.bytes + this.largestAdd)) return undefined;
    return this.waitForRoom(writes);
  }

  private async waitForRoom(writes: WriteQueue): Promise<void> {
    // Open windows only empty into the queue: when they hold the bytes, hand them over so they can be written.
    if (!writes.full()) this.flush();
    while (writes.full(this.aggregator.bytes + this.largestAdd) && writes.batches > 0) await writes.whenWritten();
  }

  /** Writes everything still in memory and waits for the database. */
  async drainAll(): Promise<void> {
    this.flush();
    await this.writes?.idle();
  }

  /**
   * Flushes, stops the timer and waits for the writes; when they fail for `closeTimeoutMs` without progress (the
   * database is down), logs one line saying what was not stored, and rejects. The store is the caller's to close.
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.flush();
    this.gaps.flushLog();
    this.unstorableLog.flush(true);
    await this.writes?.close(this.closeTimeoutMs);
  }
}
