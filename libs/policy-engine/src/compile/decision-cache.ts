import type { DecisionCore } from './evaluate.js';

/** Counters of a snapshot's decision cache. */
export interface CacheStats {
  readonly entries: number;
  readonly hits: number;
  readonly misses: number;
}

/**
 * Decisions of one revision by (source identity, destination identity, port, protocol). The revision is implicit:
 * each snapshot owns its cache. Lookups are an array index and one Map.get on a number, with no strings built.
 * When `limit` entries are reached the cache starts over (simple, and bounded memory for long-running processes).
 */
export class DecisionCache {
  private bySource: (Map<number, DecisionCore> | undefined)[] = [];
  private entries = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly limit: number) {}

  /** `key` is destination identity × 2^18 + port × 4 + protocol index (exact while ids stay below 2^35). */
  static key(destination: number, port: number, protocol: number): number {
    return destination * 262144 + port * 4 + protocol;
  }

  get(source: number, key: number): DecisionCore | undefined {
    const core = this.bySource[source]?.get(key);
    if (core === undefined) this.misses++;
    else this.hits++;
    return core;
  }

  set(source: number, key: number, core: DecisionCore): void {
    if (this.entries >= this.limit) {
      this.bySource = [];
      this.entries = 0;
    }
    let map = this.bySource[source];
    if (map === undefined) {
      map = new Map();
      this.bySource[source] = map;
    }
    map.set(key, core);
    this.entries++;
  }

  stats(): CacheStats {
    return { entries: this.entries, hits: this.hits, misses: this.misses };
  }
}
