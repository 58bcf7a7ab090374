import type { FlowLabel } from '@driftwatch/contracts';
import { saturatingAdd } from './log-throttle.js';

/** What one source delivered since start: distinct flows by label, lost events, malformed messages, duplicates. */
export interface SourceCounts {
  readonly id: string;
  connected: boolean;
  readonly flows: { allowed: number; denied: number; unexpected: number; skipped: number };
  lost: number;
  malformed: number;
  duplicates: number;
}

/**
 * Per-source counters since the process started, for metrics: monotonic (saturating at 2^53), never reset, one
 * entry per registered source (or per source id that sent something). Counting a flow is a map lookup, and no
 * lookup at all when the same source sent the previous one.
 */
export class SourceCounters {
  private readonly sources = new Map<string, SourceCounts>();
  private last: SourceCounts | undefined;

  /** The counts of `sourceId`, created on first use. */
  of(sourceId: string): SourceCounts {
    const last = this.last;
    if (last !== undefined && last.id === sourceId) return last;
    let counts = this.sources.get(sourceId);
    if (!counts) {
      counts = { id: sourceId, connected: false, flows: { allowed: 0, denied: 0, unexpected: 0, skipped: 0 }, lost: 0, malformed: 0, duplicates: 0 };
      this.sources.set(sourceId, counts);
    }
    this.last = counts;
    return counts;
  }

  /** Counts one distinct, classified flow by its label (undefined: skipped). */
  flow(sourceId: string, label: FlowLabel | undefined): void {
    this.of(sourceId).flows[label ?? 'skipped'] += 1;
  }

  lost(sourceId: string, count: number): void {
    const counts = this.of(sourceId);
    counts.lost = saturatingAdd(counts.lost, Math.max(0, count));
  }

  malformed(sourceId: string, count: number): void {
    const counts = this.of(sourceId);
    counts.malformed = saturatingAdd(counts.malformed, count);
  }

  all(): Iterable<Readonly<SourceCounts>> {
    return this.sources.values();
  }
}
