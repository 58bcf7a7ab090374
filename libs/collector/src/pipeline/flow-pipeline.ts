import { FlowClassifier, type CalicoNormalizeResult, type Classification, type Flow, type FlowObserver, type HubbleNormalizeResult, type NormalizeError } from '@driftwatch/flow';
import type { CollectorEventRow, CollectorState, FlowBatch, FlowStore } from '@driftwatch/persistence';
import type { PolicySnapshot } from '@driftwatch/policy-engine';
import { RecentIds } from './recent-ids.js';
import { WindowAggregator } from './window-aggregator.js';

/** The policy revision flows are classified against; `id` is its number in the database (null offline). */
export interface ActiveRevision {
  readonly snapshot: PolicySnapshot;
  readonly id: number | null;
}

/** The counters `collect` and `evaluate` print when they end. */
export interface PipelineSummary {
  /** Every flow received (duplicates included). */
  flows: number;
  allowed: number;
  denied: number;
  unexpected: number;
  /** Replies and other events that are not connection attempts: counted, never labeled. */
  skipped: number;
  /** Events the source reported lost (Hubble `lost_events`). */
  lost: number;
  /** Flows already seen (resumed streams, Felix resends), dropped. */
  duplicates: number;
  /** Messages that could not be normalized, logged and skipped. */
  malformed: number;
}

export interface FlowPipelineOptions {
  /** Where batches go; without one the pipeline only classifies and counts (offline evaluation). */
  readonly store?: FlowStore;
  /** Aggregation window in ms (default 10,000); 0 writes one record per flow. */
  readonly windowMs?: number;
  /** Raw bodies kept per key and window for denied and unexpected flows (default 3). */
  readonly evidencePerKey?: number;
  /** Flow ids remembered for deduplication (default 250,000: minutes of a busy relay, beyond any resume overlap). */
  readonly dedupeCapacity?: number;
  /** Batches queued for the database before `accept` asks its caller to wait (default 4). */
  readonly maxPendingBatches?: number;
  /** Open records after which everything is flushed, closed or not (default 20,000). */
  readonly maxOpenRecords?: number;
  /** Called for every flow after classification (the `evaluate` CLI prints from here). */
  readonly onFlow?: (flow: Flow, classification: Classification) => void;
  /** Consumers of every classified flow (the drift detector), called right after classification. */
  readonly observers?: readonly FlowObserver[];
  readonly log?: (line: string) => void;
}

interface SourceCursor {
  kind: string;
  address: string;
  connected: boolean;
  lastSeenTime: number | undefined;
  idsAtLastSeen: string[];
  lostEvents: number;
  lastError: string | null;
  dirty: boolean;
  /** Flows dropped as already seen since the last batch (resumed streams, Felix resends): recorded as data. */
  duplicates: number;
}

type NormalizeResult = HubbleNormalizeResult | CalicoNormalizeResult;

/**
 * The path from a normalized message to Postgres: deduplicate, classify against the active revision, aggregate
 * per window, write in batches. Backpressure: when too many batches wait for the database, `accept` returns a
 * promise; callers pause their stream until it resolves. Writes that fail are retried with backoff, logged once.
 */
export class FlowPipeline {
  readonly summary: PipelineSummary = { flows: 0, allowed: 0, denied: 0, unexpected: 0, skipped: 0, lost: 0, duplicates: 0, malformed: 0 };
  private revision: ActiveRevision;
  private classifier: FlowClassifier;
  private readonly aggregator: WindowAggregator;
  private readonly recent: RecentIds;
  private readonly sources = new Map<string, SourceCursor>();
  private events: CollectorEventRow[] = [];
  private malformed = new Map<string, { sourceId: string; code: string; count: number; last: { path: string | null; message: string } }>();
  private watermark = 0;
  private flushedUpTo = 0;
  private readonly queue: FlowBatch[] = [];
  private writing: Promise<void> | undefined;
  private waiters: (() => void)[] = [];
  private readonly windowMs: number;
  private readonly maxPending: number;
  private readonly maxOpen: number;
  private writeError: string | undefined;
  private lastActivity = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(revision: ActiveRevision, private readonly options: FlowPipelineOptions = {}) {
    this.revision = revision;
    this.classifier = new FlowClassifier(revision.snapshot);
    this.windowMs = options.windowMs ?? 10_000;
    this.aggregator = new WindowAggregator(this.windowMs, options.evidencePerKey ?? 3);
    this.recent = new RecentIds(options.dedupeCapacity ?? 250_000);
    this.maxPending = options.maxPendingBatches ?? 4;
    this.maxOpen = options.maxOpenRecords ?? 20_000;
    if (options.store) {
      this.timer = setInterval(() => this.tick(), 1000);
      this.timer.unref();
    }
  }

  /** Switches to a new revision (SIGHUP); flows from now on are classified against it. */
  setRevision(revision: ActiveRevision): void {
    this.revision = revision;
    this.classifier = new FlowClassifier(revision.snapshot);
    for (const observer of this.options.observers ?? []) observer.revisionChanged?.(revision.id, revision.snapshot);
  }

  get activeRevision(): ActiveRevision {
    return this.revision;
  }

  /** Declares a source, so its state is saved even before its first flow. */
  registerSource(sourceId: string, kind: string, address: string): void {
    if (!this.sources.has(sourceId)) {
      this.sources.set(sourceId, { kind, address, connected: false, lastSeenTime: undefined, idsAtLastSeen: [], lostEvents: 0, lastError: null, dirty: true, duplicates: 0 });
    }
  }

  /**
   * Restores a source's saved position (from `collector_state`), so a restarted collector resumes there and
   * does not count again the flows recorded at exactly that time.
   */
  resumeFrom(sourceId: string, lastSeenTime: number | undefined, ids: readonly string[], lostEvents = 0): void {
    const cursor = this.sources.get(sourceId);
    if (!cursor || lastSeenTime === undefined) return;
    cursor.lastSeenTime = lastSeenTime;
    cursor.idsAtLastSeen = [...ids];
    cursor.lostEvents = lostEvents;
    for (const id of ids) this.recent.add(id);
  }

  /** Resume point of a source: the newest flow time it delivered (epoch ms), if any. */
  lastSeen(sourceId: string): number | undefined {
    return this.sources.get(sourceId)?.lastSeenTime;
  }

  /** Records a connection change of a source (`reconnect` events are data too). */
  setConnected(sourceId: string, connected: boolean, error?: string): void {
    const cursor = this.sources.get(sourceId);
    if (!cursor) return;
    cursor.connected = connected;
    cursor.lastError = error ?? (connected ? null : cursor.lastError);
    cursor.dirty = true;
    this.event(sourceId, connected ? 'connected' : 'disconnected', 0, error ? { error } : {});
  }

  /**
   * Takes one normalized message. Returns undefined when the caller may go on at once, or a promise to await
   * (with the stream paused) when the database is behind.
   */
  accept(sourceId: string, result: NormalizeResult): Promise<void> | undefined {
    this.lastActivity = Date.now();
    switch (result.kind) {
      case 'flow':
        this.acceptFlow(sourceId, result.flow);
        break;
      case 'lost_events': {
        const lost = result.lostEvents;
        this.summary.lost += lost.numEventsLost;
        const cursor = this.sources.get(sourceId);
        if (cursor) {
          cursor.lostEvents += lost.numEventsLost;
          cursor.dirty = true;
        }
        this.event(sourceId, 'lost_events', lost.numEventsLost, { source: lost.source, node: lost.node ?? null, cpu: lost.cpu ?? null });
        this.options.log?.(`${sourceId}: the source lost ${lost.numEventsLost} event(s) (${lost.source}); recorded as a gap`);
        break;
      }
      case 'node_status':
        this.event(sourceId, 'node_status', result.nodeStatus.nodeNames.length, {
          state: result.nodeStatus.state,
          nodes: result.nodeStatus.nodeNames,
          message: result.nodeStatus.message ?? null,
        });
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
  reject(sourceId: string, error: NormalizeError | { code: string; message: string; path?: string | undefined }): void {
    this.summary.malformed += 1;
    if (this.summary.malformed <= 5 || this.summary.malformed % 1000 === 0) {
      this.options.log?.(`${sourceId}: skipped a malformed message (${error.code}${error.path ? ` at ${error.path}` : ''}: ${error.message})${this.summary.malformed === 5 ? '; further ones are counted, logged every 1000' : ''}`);
    }
    // One event per source and error code per batch, not one per message: a source sending garbage must not
    // flood the database with rows about it.
    const key = `${sourceId}\u0000${error.code}`;
    const seen = this.malformed.get(key);
    if (seen) {
      seen.count += 1;
      seen.last = { path: error.path ?? null, message: error.message };
    } else {
      this.malformed.set(key, { sourceId, code: error.code, count: 1, last: { path: error.path ?? null, message: error.message } });
    }
  }

  private acceptFlow(sourceId: string, flow: Flow): void {
    this.summary.flows += 1;
    const cursor = this.sources.get(sourceId);
    if (!this.recent.add(flow.id)) {
      this.summary.duplicates += 1;
      if (cursor) cursor.duplicates += 1;
      return;
    }
    if (cursor) {
      if (cursor.lastSeenTime === undefined || flow.time > cursor.lastSeenTime) {
        cursor.lastSeenTime = flow.time;
        cursor.idsAtLastSeen = [flow.id];
      } else if (flow.time === cursor.lastSeenTime && cursor.idsAtLastSeen.length < 5000) {
        cursor.idsAtLastSeen.push(flow.id);
      }
      cursor.dirty = true;
    }
    const verdict = this.classifier.classify(flow);
    if (verdict.label === undefined) this.summary.skipped += 1;
    else this.summary[verdict.label] += 1;
    this.options.onFlow?.(flow, verdict);
    if (this.options.observers) for (const observer of this.options.observers) observer.observe(flow, verdict, this.revision.id);
    if (!this.options.store) return;
    this.aggregator.add(flow, verdict, this.revision.id);
    if (flow.time > this.watermark) this.watermark = flow.time;
    if (this.aggregator.openRecords >= this.maxOpen) this.flush();
    else if (this.watermark - this.flushedUpTo >= this.windowMs * 2 && this.windowMs > 0) this.flush(this.watermark - this.windowMs);
  }

  private event(sourceId: string, kind: string, count: number, details: Record<string, unknown>): void {
    if (!this.options.store) return;
    this.events.push({ collectorId: sourceId, at: new Date(), kind, count, details });
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
    if (!this.options.store) return;
    const { records, evidence } = this.aggregator.take(closedBefore);
    this.flushedUpTo = closedBefore ?? this.watermark;
    for (const { sourceId, code, count, last } of this.malformed.values()) {
      this.event(sourceId, 'malformed', count, { code, lastPath: last.path, lastMessage: last.message });
    }
    this.malformed.clear();
    for (const [id, cursor] of this.sources) {
      if (cursor.duplicates === 0) continue;
      this.event(id, 'duplicates', cursor.duplicates, { reason: 'already seen (a resumed stream or a resend)' });
      cursor.duplicates = 0;
    }
    const events = this.events;
    this.events = [];
    const states = this.dirtyStates();
    if (records.length + evidence.length + events.length + states.length === 0) return;
    this.queue.push({ records, evidence, events, states });
    this.writing ??= this.drain();
  }

  private dirtyStates(): CollectorState[] {
    const states: CollectorState[] = [];
    let oldestOpen: number | undefined | null = null; // null: not looked up yet (it walks every open record)
    for (const [id, cursor] of this.sources) {
      if (!cursor.dirty) continue;
      if (oldestOpen === null) oldestOpen = this.aggregator.oldestOpenWindow();
      cursor.dirty = false;
      // Resume from the oldest window still in memory: what is before it is in this batch or an earlier one.
      const resumeAt = oldestOpen !== undefined && cursor.lastSeenTime !== undefined ? Math.min(oldestOpen, cursor.lastSeenTime) : cursor.lastSeenTime;
      states.push({
        id,
        kind: cursor.kind,
        address: cursor.address,
        connected: cursor.connected,
        lastSeenTime: resumeAt === undefined ? null : new Date(resumeAt),
        cursor: { ids: resumeAt === cursor.lastSeenTime ? cursor.idsAtLastSeen : [] },
        lostEvents: cursor.lostEvents,
        lastError: cursor.lastError,
      });
    }
    return states;
  }

  private async drain(): Promise<void> {
    const store = this.options.store;
    while (store && this.queue.length > 0) {
      const batch = this.queue[0] as FlowBatch;
      for (let attempt = 0; ; attempt += 1) {
        try {
          await store.writeBatch(batch);
          if (this.writeError) this.options.log?.('database writes succeed again');
          this.writeError = undefined;
          break;
        } catch (error) {
          const message = (error as Error).message;
          if (this.writeError === undefined) this.options.log?.(`cannot write flows (${message}); retrying with backoff, nothing is dropped`);
          this.writeError = message;
          if (this.closed && attempt >= 5) throw new Error(`flows could not be written: ${message}`, { cause: error });
          await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** attempt, 10_000)));
        }
      }
      this.queue.shift();
      this.release();
    }
    this.writing = undefined;
  }

  private backpressure(): Promise<void> | undefined {
    if (this.queue.length < this.maxPending) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    if (this.queue.length >= this.maxPending) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Writes everything still in memory and waits for the database. */
  async drainAll(): Promise<void> {
    this.flush();
    while (this.writing) await this.writing;
  }

  /** Flushes, waits for the writes, stops the timer. The store is the caller's to close. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.drainAll();
  }
}
