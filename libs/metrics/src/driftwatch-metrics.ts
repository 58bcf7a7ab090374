import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FLOW_LABELS, SEVERITIES } from '@driftwatch/contracts';

/** What a flow is counted as: its label, or `skipped` (replies and other events that are never labeled). */
export const FLOW_COUNT_LABELS = [...FLOW_LABELS, 'skipped'] as const;
export type FlowCountLabel = (typeof FLOW_COUNT_LABELS)[number];

/** Counters of one flow source since the process started, as the pipeline keeps them. */
export interface SourceStats {
  /** The source id (`hubble:10.0.0.1:4245`), the `source` label of its series. */
  readonly id: string;
  readonly connected: boolean;
  /** Distinct flows (duplicates dropped) by label. */
  readonly flows: Readonly<Record<FlowCountLabel, number>>;
  /** Events the source reported lost (Hubble `lost_events`). */
  readonly lost: number;
  /** Messages that could not be normalized, or rows Postgres refused. */
  readonly malformed: number;
  /** Flows dropped as already seen (resumed streams, resends). */
  readonly duplicates: number;
}

/**
 * What the metrics read from a flow pipeline on each scrape (the collector's `FlowPipeline` has this shape);
 * nothing is added to the ingest path but the pipeline's own counters.
 */
export interface PipelineStatsView {
  readonly backlog: { readonly batches: number; readonly bytes: number; readonly openRecords: number };
  sourceStats(): Iterable<SourceStats>;
  /** Counters of the active revision's decision cache. */
  decisionCacheStats(): { readonly entries: number; readonly hits: number; readonly misses: number };
}

/** What became of one webhook attempt: delivered, to be retried, given up (retries exhausted), or 410 Gone. */
export const WEBHOOK_OUTCOMES = ['delivered', 'retry', 'failed', 'gone'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];

/** Statuses of an alert that is not resolved. */
export const UNRESOLVED_STATUSES = ['open', 'acknowledged', 'suppressed'] as const;

/** Unresolved alerts of one severity and status, as the database counts them. */
export interface UnresolvedAlertCount {
  readonly severity: string;
  readonly status: string;
  readonly count: number;
}

export interface DriftwatchMetricsOptions {
  /** Driftwatch's version, in `driftwatch_build_info`. */
  readonly version?: string;
  /** Also collect Node's process metrics (CPU, memory, event loop, GC, handles); default true. */
  readonly processMetrics?: boolean;
}

/** Buckets of `driftwatch_batch_write_seconds`: a batch is one transaction (records, evidence, events, cursors). */
const WRITE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The metrics of one Driftwatch process in one prom-client registry: what the pipeline counts (read on each
 * scrape from the pipelines attached with {@link watchPipeline}), what is pushed as it happens (batch write
 * latency, webhook attempts), what the database says on each scrape (unresolved alerts, through the reader
 * set with {@link readOpenAlertsWith}), and Node's process metrics. `serve` runs collection and the API in
 * one process, so one registry sees everything; a separate `collect` process serves its own (METRICS_LISTEN).
 */
export class DriftwatchMetrics {
  readonly registry = new Registry();
  private readonly pipelines = new Set<PipelineStatsView>();
  private readonly batchWrite: Histogram;
  private readonly webhookDeliveries: Counter<'outcome'>;
  private openAlertsReader: (() => Promise<readonly UnresolvedAlertCount[]>) | undefined;
  private openAlertsFailure: ((error: Error) => void) | undefined;

  constructor(options: DriftwatchMetricsOptions = {}) {
    const registers = [this.registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const pipelines = this.pipelines;
    const sources = function* () {
      for (const pipeline of pipelines) yield* pipeline.sourceStats();
    };

    new Gauge({
      name: 'driftwatch_build_info',
      help: 'Always 1; the version of Driftwatch in a label.',
      labelNames: ['version'],
      registers,
    }).set({ version: options.version ?? 'unknown' }, 1);

    new Counter({
      name: 'driftwatch_flows_total',
      help: 'Distinct flows classified since start, by source and label (skipped: replies and other events never labeled).',
      labelNames: ['source', 'label'],
      registers,
      collect() {
        this.reset();
        for (const s of sources()) for (const label of FLOW_COUNT_LABELS) this.inc({ source: s.id, label }, s.flows[label]);
      },
    });
    new Counter({
      name: 'driftwatch_lost_events_total',
      help: 'Events the source reported lost (Hubble lost_events), by source.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const s of sources()) this.inc({ source: s.id }, s.lost);
      },
    });
    new Counter({
      name: 'driftwatch_malformed_messages_total',
      help: 'Messages that could not be normalized, and rows Postgres refused, by source.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const s of sources()) this.inc({ source: s.id }, s.malformed);
      },
    });
    new Counter({
      name: 'driftwatch_duplicate_flows_total',
      help: 'Flows dropped as already seen (a resumed stream, a resend), by source.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const s of sources()) this.inc({ source: s.id }, s.duplicates);
      },
    });
    new Gauge({
      name: 'driftwatch_collector_connected',
      help: '1 while the source is connected (a client with an open stream, a server that listens), else 0.',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const s of sources()) this.set({ source: s.id }, s.connected ? 1 : 0);
      },
    });
    const backlog = (pick: (b: PipelineStatsView['backlog']) => number) =>
      function (this: Gauge) {
        let total = 0;
        for (const pipeline of pipelines) total += pick(pipeline.backlog);
        this.set(total);
      };
    new Gauge({ name: 'driftwatch_pipeline_queue_batches', help: 'Batches waiting for the database.', registers, collect: backlog((b) => b.batches) });
    new Gauge({
      name: 'driftwatch_pipeline_queue_bytes',
      help: 'Bytes (records and evidence bodies, estimated) held for the database, in open windows and queued batches.',
      registers,
      collect: backlog((b) => b.bytes),
    });
    new Gauge({ name: 'driftwatch_pipeline_open_records', help: 'Flow records of windows not yet written.', registers, collect: backlog((b) => b.openRecords) });
    new Gauge({
      name: 'driftwatch_decision_cache_hit_ratio',
      help: "Hits / lookups of the active policy revision's decision cache (0 before the first lookup).",
      registers,
      collect() {
        let hits = 0;
        let lookups = 0;
        for (const pipeline of pipelines) {
          const stats = pipeline.decisionCacheStats();
          hits += stats.hits;
          lookups += stats.hits + stats.misses;
        }
        this.set(lookups === 0 ? 0 : hits / lookups);
      },
    });
    new Gauge({
      name: 'driftwatch_decision_cache_entries',
      help: "Decisions held in the active policy revision's cache.",
      registers,
      collect() {
        let entries = 0;
        for (const pipeline of pipelines) entries += pipeline.decisionCacheStats().entries;
        this.set(entries);
      },
    });
    this.batchWrite = new Histogram({
      name: 'driftwatch_batch_write_seconds',
      help: 'Time to write one pipeline batch (flow records, evidence, collector events and positions) in one transaction.',
      buckets: WRITE_BUCKETS,
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'driftwatch_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome: delivered (2xx), retry (failed, retried later), failed (retries exhausted), gone (410: webhook disabled).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of WEBHOOK_OUTCOMES) this.webhookDeliveries.inc({ outcome }, 0);
    const reader = () => ({ read: this.openAlertsReader, failed: this.openAlertsFailure });
    new Gauge({
      name: 'driftwatch_open_alerts',
      help: 'Alerts not resolved (open, acknowledged or suppressed), by severity and status, read from the database on each scrape.',
      labelNames: ['severity', 'status'],
      registers,
      async collect() {
        const { read, failed } = reader();
        this.reset();
        if (!read) return;
        let counts: readonly UnresolvedAlertCount[];
        try {
          counts = await read();
        } catch (error) {
          failed?.(error as Error);
          return; // no series rather than stale ones
        }
        for (const severity of SEVERITIES) for (const status of UNRESOLVED_STATUSES) this.set({ severity, status }, 0);
        for (const c of counts) this.set({ severity: c.severity, status: c.status }, c.count);
      },
    });
  }

  /** Reads the counters of `pipeline` on every scrape from now on; returns a function that stops reading them. */
  watchPipeline(pipeline: PipelineStatsView): () => void {
    this.pipelines.add(pipeline);
    return () => void this.pipelines.delete(pipeline);
  }

  /** Records how long one batch took to write. */
  batchWritten(seconds: number): void {
    this.batchWrite.observe(seconds);
  }

  /** Counts one webhook attempt by its outcome. */
  webhookAttempt(outcome: WebhookOutcome): void {
    this.webhookDeliveries.inc({ outcome });
  }

  /**
   * How `driftwatch_open_alerts` is read on each scrape (the API's database). A failed read leaves the metric
   * without series for that scrape and is told to `onFailure`.
   */
  readOpenAlertsWith(reader: () => Promise<readonly UnresolvedAlertCount[]>, onFailure?: (error: Error) => void): void {
    this.openAlertsReader = reader;
    this.openAlertsFailure = onFailure;
  }

  /** The Prometheus text exposition of every metric. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
