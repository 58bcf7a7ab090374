import type { FlowStatsEvent } from '@driftwatch/contracts';
import type { NamespaceFlowCounts } from '@driftwatch/persistence';
import type { Actor } from '../auth/access.js';
import type { EffectiveFilter } from './subscription.js';

/** Namespaces gathered in one interval at most (beyond it, new namespaces are not counted until the next tick). */
const MAX_NAMESPACES = 50_000;

/**
 * Sums the counts collectors publish (any number of processes) between two ticks; `take` hands them over and
 * starts the next interval.
 */
export class FlowStatsTally {
  private counts = new Map<string, NamespaceFlowCounts>();
  private since = Date.now();

  add(counts: ReadonlyMap<string, NamespaceFlowCounts>): void {
    for (const [namespace, c] of counts) {
      let sum = this.counts.get(namespace);
      if (sum === undefined) {
        if (this.counts.size >= MAX_NAMESPACES) continue;
        sum = { allowed: 0, denied: 0, unexpected: 0 };
        this.counts.set(namespace, sum);
      }
      sum.allowed += c.allowed;
      sum.denied += c.denied;
      sum.unexpected += c.unexpected;
    }
  }

  /** The interval's counts, and a fresh interval from now. */
  take(now = Date.now()): { counts: ReadonlyMap<string, NamespaceFlowCounts>; at: string; intervalMs: number } {
    const taken = { counts: this.counts, at: new Date(now).toISOString(), intervalMs: now - this.since };
    this.counts = new Map();
    this.since = now;
    return taken;
  }
}

/**
 * What one client gets of a tick: the namespaces of its subscriptions (each already intersected with the key's
 * scope; `*` only for a key that sees everything) that had flows, checked against the key's scope once more.
 * Undefined when none of them had any (nothing is sent).
 */
export function statsFor(
  actor: Actor,
  filters: readonly EffectiveFilter[],
  tick: { counts: ReadonlyMap<string, NamespaceFlowCounts>; at: string; intervalMs: number },
): FlowStatsEvent | undefined {
  if (filters.length === 0 || tick.counts.size === 0) return undefined;
  const visible = (namespace: string) => actor.namespaces === '*' || actor.namespaces.includes(namespace);
  let wanted: Iterable<string>;
  if (filters.some((f) => f.namespaces === '*')) wanted = tick.counts.keys();
  else wanted = new Set(filters.flatMap((f) => f.namespaces as readonly string[]));
  const namespaces: FlowStatsEvent['namespaces'][number][] = [];
  for (const namespace of wanted) {
    const c = tick.counts.get(namespace);
    if (c === undefined || !visible(namespace)) continue;
    namespaces.push({ namespace, allowed: c.allowed, denied: c.denied, unexpected: c.unexpected });
  }
  if (namespaces.length === 0) return undefined;
  namespaces.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
  return { at: tick.at, intervalMs: tick.intervalMs, namespaces };
}
