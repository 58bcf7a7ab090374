import { silentLogger, type Logger } from '@driftwatch/common';
import { recordedConnectionKey, type Classification, type Flow, type FlowObserver } from '@driftwatch/flow';
import type { AlertCandidate, AlertCount, AlertEventRecord, AlertStore } from '@driftwatch/persistence';
import { renderExplanation, type PolicySnapshot } from '@driftwatch/policy-engine';
import { alertKey, connectionKey } from './alert-key.js';
import { isConsistentNow } from './revision-check.js';
import { severityOf } from './severity.js';

export interface DriftDetectorOptions {
  readonly store: AlertStore;
  /** Quiet period after which an alert resolves (ALERT_RESOLVE_AFTER; default 15 minutes). */
  readonly resolveAfterMs?: number;
  /** Least time between two count updates of one alert (default 5 s). */
  readonly updateIntervalMs?: number;
  /** Open alert keys kept in memory (default 10,000); beyond it the oldest are forgotten (the database stays the truth). */
  readonly maxKeys?: number;
  /** Called with the events each write stored (tests, metrics). */
  readonly onEvents?: (events: readonly AlertEventRecord[]) => void;
  readonly log?: Logger;
}

interface Entry {
  readonly key: string;
  candidate: AlertCandidate;
  alertId: string | undefined;
  /** Flows counted since the last write. */
  pending: number;
  lastSeen: number;
  lastWrite: number;
  queued: boolean;
}

/**
 * The drift detector (ARCHITECTURE.md §2): a {@link FlowObserver} that opens an alert the moment the first
 * unexpected flow of a key arrives (written off the ingest call, within milliseconds), adds counts at most every
 * `updateIntervalMs` per alert in batches (`alert.updated`), resolves alerts after a quiet period and when a new
 * policy revision makes their connection consistent, and reopens an alert when its drift recurs. Memory is a
 * bounded cache of keys; the database decides whether an alert is open (see AlertLifecycleRepository).
 */
export class DriftDetector implements FlowObserver {
  private readonly entries = new Map<string, Entry>();
  private toOpen: Entry[] = [];
  private evicted: AlertCount[] = [];
  private snapshot: PolicySnapshot | undefined;
  private recheck: { revisionId: number | null; snapshot: PolicySnapshot } | undefined;
  private work: Promise<void> | undefined;
  private again = false;
  private failing: string | undefined;
  private lastSweep = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly resolveAfterMs: number;
  private readonly updateIntervalMs: number;
  private readonly maxKeys: number;
  private readonly log: Logger;

  constructor(private readonly options: DriftDetectorOptions) {
    this.resolveAfterMs = options.resolveAfterMs ?? 15 * 60_000;
    this.updateIntervalMs = options.updateIntervalMs ?? 5000;
    this.maxKeys = options.maxKeys ?? 10_000;
    this.log = options.log ?? silentLogger;
    this.timer = setInterval(() => this.kick(), Math.min(1000, this.updateIntervalMs));
    this.timer.unref();
  }

  observe(flow: Flow, classification: Classification, revisionId: number | null): void {
    const drift = classification.drift;
    if (classification.label !== 'unexpected' || drift === undefined || this.stopped) return;
    const key = alertKey(flow, drift);
    const entry = this.entries.get(key);
    if (entry) {
      entry.pending += flow.count;
      if (flow.time > entry.lastSeen) entry.lastSeen = flow.time;
      return;
    }
    const decision = classification.declared;
    const candidate: AlertCandidate = {
      connectionKey: connectionKey(flow),
      driftKind: drift,
      severity: severityOf(drift, decision, this.snapshot),
      cluster: flow.cluster ?? '',
      ...recordedConnectionKey(flow),
      flowCount: 0,
      firstSeen: new Date(flow.time),
      lastSeen: new Date(flow.time),
      policyRevisionId: revisionId,
      explanation: {
        text: decision ? renderExplanation(decision) : `${drift} by the observed verdict alone`,
        decision,
        issues: classification.issues,
        direction: flow.direction,
        observed: flow.verdict,
      },
      sampleFlow: { id: flow.id, time: new Date(flow.time).toISOString(), body: flow.raw },
    };
    const created: Entry = { key, candidate, alertId: undefined, pending: flow.count, lastSeen: flow.time, lastWrite: 0, queued: true };
    this.entries.set(key, created);
    this.toOpen.push(created);
    if (this.entries.size > this.maxKeys) this.evictOldest();
    setImmediate(() => this.kick());
  }

  revisionChanged(revisionId: number | null, snapshot: PolicySnapshot): void {
    this.snapshot = snapshot;
    this.recheck = { revisionId, snapshot };
    setImmediate(() => this.kick());
  }

  /** Writes everything pending now (opens, counts, re-checks) and waits for it. */
  async flush(): Promise<void> {
    await this.run(true);
  }

  /** Stops the timers and writes what is still pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    this.stopped = true;
  }

  private evictOldest(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.maxKeys) break;
      if (entry.queued) continue;
      this.entries.delete(key);
      if (entry.alertId !== undefined && entry.pending > 0) {
        this.evicted.push({ alertId: entry.alertId, flowCount: entry.pending, lastSeen: new Date(entry.lastSeen) });
      }
    }
  }

  private kick(): void {
    if (this.work) {
      this.again = true;
      return;
    }
    void this.run(false);
  }

  private async run(everything: boolean): Promise<void> {
    while (this.work) await this.work;
    this.work = (async () => {
      do {
        this.again = false;
        try {
          await this.step(everything);
          if (this.failing) this.log.log('alerts: database writes succeed again');
          this.failing = undefined;
        } catch (error) {
          const message = (error as Error).message;
          if (this.failing === undefined) this.log.error(`alerts: cannot write alerts (${message}); retrying, counts are kept`);
          this.failing = message;
          if (everything) throw error;
          return;
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.work = undefined;
    });
    await this.work;
  }

  private async step(everything: boolean): Promise<void> {
    const store = this.options.store;
    const emit = (events: readonly AlertEventRecord[]) => {
      if (events.length > 0) this.options.onEvents?.(events);
    };
    if (this.toOpen.length > 0) {
      const batch = this.toOpen;
      this.toOpen = [];
      const taken = batch.map((e) => e.pending);
      const candidates = batch.map((e, i) => ({ ...e.candidate, flowCount: taken[i] as number, lastSeen: new Date(e.lastSeen) }));
      for (const entry of batch) entry.pending = 0;
      try {
        const { outcomes, events } = await store.lifecycle.open(candidates);
        outcomes.forEach((outcome, i) => {
          const entry = batch[i] as Entry;
          entry.alertId = outcome.alert.id;
          entry.queued = false;
          entry.lastWrite = Date.now();
        });
        emit(events);
      } catch (error) {
        batch.forEach((entry, i) => (entry.pending += taken[i] as number));
        this.toOpen = [...batch, ...this.toOpen];
        throw error;
      }
    }
    await this.writeCounts(everything, emit);
    if (this.recheck) {
      const { revisionId, snapshot } = this.recheck;
      this.recheck = undefined;
      await this.resolveConsistent(revisionId, snapshot, emit);
    }
    if (everything || Date.now() - this.lastSweep >= Math.min(this.resolveAfterMs / 4, 10_000)) {
      this.lastSweep = Date.now();
      const busy = [...this.entries.values()].filter((e) => e.alertId !== undefined && e.pending > 0).map((e) => e.alertId as string);
      const resolved = await store.lifecycle.resolveQuiet(this.resolveAfterMs, busy);
      this.forget(resolved);
      emit(resolved);
      emit(await store.lifecycle.expireSilences());
    }
  }

  private async writeCounts(everything: boolean, emit: (events: readonly AlertEventRecord[]) => void): Promise<void> {
    const now = Date.now();
    const due: Entry[] = [];
    for (const entry of this.entries.values()) {
      if (entry.alertId !== undefined && entry.pending > 0 && (everything || now - entry.lastWrite >= this.updateIntervalMs)) due.push(entry);
    }
    const evicted = this.evicted;
    this.evicted = [];
    if (due.length === 0 && evicted.length === 0) return;
    const counts: AlertCount[] = [
      ...evicted,
      ...due.map((e) => ({ alertId: e.alertId as string, flowCount: e.pending, lastSeen: new Date(e.lastSeen) })),
    ];
    for (const entry of due) entry.pending = 0;
    let result;
    try {
      result = await this.options.store.lifecycle.addCounts(counts);
    } catch (error) {
      due.forEach((entry, i) => (entry.pending += (counts[evicted.length + i] as AlertCount).flowCount));
      this.evicted = [...evicted, ...this.evicted];
      throw error;
    }
    for (const entry of due) entry.lastWrite = now;
    emit(result.events);
    if (result.missing.length > 0) {
      // resolved meanwhile (by hand, by another process): the drift recurred, so reopen
      const missing = new Set(result.missing);
      due.forEach((entry, i) => {
        if (!missing.has(entry.alertId as string)) return;
        entry.pending += (counts[evicted.length + i] as AlertCount).flowCount;
        entry.alertId = undefined;
        entry.queued = true;
        this.toOpen.push(entry);
      });
      this.again = true;
    }
  }

  private async resolveConsistent(revisionId: number | null, snapshot: PolicySnapshot, emit: (events: readonly AlertEventRecord[]) => void): Promise<void> {
    let after = '0';
    for (;;) {
      const page = await this.options.store.lifecycle.unresolved(after);
      if (page.length === 0) return;
      after = (page[page.length - 1] as { id: string }).id;
      const consistent = page.filter((alert) => isConsistentNow(alert.driftKind, alert.explanation, snapshot)).map((a) => a.id);
      const events = await this.options.store.lifecycle.resolveByRevision(consistent, revisionId);
      this.forget(events);
      emit(events);
    }
  }

  /** Drops the keys of resolved alerts; flows counted for them since are a recurrence. */
  private forget(resolved: readonly AlertEventRecord[]): void {
    if (resolved.length === 0) return;
    const ids = new Set(resolved.map((e) => e.alertId));
    for (const [key, entry] of this.entries) {
      if (entry.alertId === undefined || !ids.has(entry.alertId)) continue;
      if (entry.pending > 0) {
        entry.alertId = undefined;
        entry.queued = true;
        this.toOpen.push(entry);
        this.again = true;
      } else {
        this.entries.delete(key);
      }
    }
  }
}
