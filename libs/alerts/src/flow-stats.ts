import { silentLogger, type Logger } from '@driftwatch/common';
import type { Classification, Flow, FlowObserver } from '@driftwatch/flow';
import type { FlowStatsChannel, NamespaceFlowCounts } from '@driftwatch/persistence';

export interface FlowStatsCounterOptions {
  /** Where counts go (the store's `flowStats`). */
  readonly channel: Pick<FlowStatsChannel, 'publish'>;
  /** How often counts are published (default 1000 ms). */
  readonly intervalMs?: number;
  /** Namespaces counted per interval (default 10,000); flows of further namespaces in it are not counted. */
  readonly maxNamespaces?: number;
  readonly log?: Logger;
}

/**
 * Live flow counts for the socket.io `flows.stats` event: a {@link FlowObserver} that counts each labeled flow
 * (by `flow.count`) per label for each distinct namespace of its two sides, and publishes the counts of the last
 * interval (through Postgres NOTIFY, for every API process) once per interval when there were any. Flows with
 * no namespace on either side are not counted. Memory is bounded by `maxNamespaces`; a publish that fails is
 * logged once and its counts dropped (they are a live view, not a record).
 */
export class FlowStatsCounter implements FlowObserver {
  private counts = new Map<string, NamespaceFlowCounts>();
  private overflowed = false;
  private publishing: Promise<void> | undefined;
  private failing = false;
  private readonly timer: NodeJS.Timeout;
  private readonly maxNamespaces: number;
  private readonly log: Logger;

  constructor(private readonly options: FlowStatsCounterOptions) {
    this.maxNamespaces = options.maxNamespaces ?? 10_000;
    this.log = options.log ?? silentLogger;
    this.timer = setInterval(() => void this.publish(), options.intervalMs ?? 1000);
    this.timer.unref();
  }

  observe(flow: Flow, classification: Classification): void {
    const label = classification.label;
    if (label === undefined) return;
    const src = flow.src.namespace;
    const dst = flow.dst.namespace;
    if (src !== undefined) this.add(src, label, flow.count);
    if (dst !== undefined && dst !== src) this.add(dst, label, flow.count);
  }

  private add(namespace: string, label: keyof NamespaceFlowCounts, n: number): void {
    let counts = this.counts.get(namespace);
    if (counts === undefined) {
      if (this.counts.size >= this.maxNamespaces) {
        if (!this.overflowed) this.log.warn(`flow stats: more than ${this.maxNamespaces} namespaces in one interval; the others are not counted`);
        this.overflowed = true;
        return;
      }
      counts = { allowed: 0, denied: 0, unexpected: 0 };
      this.counts.set(namespace, counts);
    }
    counts[label] += n;
  }

  /** Publishes the counts gathered since the last publish (at most one publish at a time). */
  async publish(): Promise<void> {
    await this.publishing;
    if (this.counts.size === 0) return;
    const counts = this.counts;
    this.counts = new Map();
    this.overflowed = false;
    this.publishing = this.options.channel.publish(counts).then(
      () => {
        if (this.failing) this.log.log('flow stats: publishing works again');
        this.failing = false;
      },
      (error: Error) => {
        if (!this.failing) this.log.warn(`flow stats: cannot publish counts (${error.message}); dropped until it works again`);
        this.failing = true;
      },
    );
    await this.publishing;
  }

  /** Stops the timer and publishes what is left. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.publish();
  }
}
