import type { Flow } from '@driftwatch/flow';
import type { CollectorEventRow, CollectorState } from '@driftwatch/persistence';
import { saturatingAdd } from './log-throttle.js';

interface SourceCursor {
  readonly kind: string;
  readonly address: string;
  connected: boolean;
  lastSeenTime: number | undefined;
  idsAtLastSeen: string[];
  lostEvents: number;
  lastError: string | null;
  dirty: boolean;
  /** Flows dropped as already seen since the last batch (resumed streams, Felix resends): recorded as data. */
  duplicates: number;
}

/** Ids kept for the newest flow time of a source (flows sharing that exact time), so a resume skips them. */
const MAX_IDS_AT_LAST_SEEN = 5000;

/**
 * Where each source stands: its resume point (newest flow time and the ids seen at exactly that time),
 * connection state, lost events and duplicates. Saved with each batch (`collector_state`), so a restarted
 * collector resumes where the database says it stopped.
 */
export class SourceCursors {
  private readonly cursors = new Map<string, SourceCursor>();

  /** Declares a source, so its state is saved even before its first flow. */
  register(sourceId: string, kind: string, address: string): void {
    if (!this.cursors.has(sourceId)) {
      this.cursors.set(sourceId, { kind, address, connected: false, lastSeenTime: undefined, idsAtLastSeen: [], lostEvents: 0, lastError: null, dirty: true, duplicates: 0 });
    }
  }

  /** Restores a saved position. False when the source is unknown or there is no position. */
  resume(sourceId: string, lastSeenTime: number | undefined, ids: readonly string[], lostEvents: number): boolean {
    const cursor = this.cursors.get(sourceId);
    if (!cursor || lastSeenTime === undefined) return false;
    cursor.lastSeenTime = lastSeenTime;
    cursor.idsAtLastSeen = [...ids];
    cursor.lostEvents = lostEvents;
    return true;
  }

  lastSeen(sourceId: string): number | undefined {
    return this.cursors.get(sourceId)?.lastSeenTime;
  }

  /** Records a connection change; returns the collector event to record, or undefined for an unknown source. */
  setConnected(sourceId: string, connected: boolean, error?: string): CollectorEventRow | undefined {
    const cursor = this.cursors.get(sourceId);
    if (!cursor) return undefined;
    cursor.connected = connected;
    cursor.lastError = error ?? (connected ? null : cursor.lastError);
    cursor.dirty = true;
    return { collectorId: sourceId, at: new Date(), kind: connected ? 'connected' : 'disconnected', count: 0, details: error ? { error } : {} };
  }

  /** A new (not duplicate) flow of the source: moves its resume point. */
  advance(sourceId: string, flow: Flow): void {
    const cursor = this.cursors.get(sourceId);
    if (!cursor) return;
    if (cursor.lastSeenTime === undefined || flow.time > cursor.lastSeenTime) {
      cursor.lastSeenTime = flow.time;
      if (cursor.idsAtLastSeen.length === 1) cursor.idsAtLastSeen[0] = flow.id;
      else cursor.idsAtLastSeen = [flow.id];
    } else if (flow.time === cursor.lastSeenTime && cursor.idsAtLastSeen.length < MAX_IDS_AT_LAST_SEEN) {
      cursor.idsAtLastSeen.push(flow.id);
    }
    cursor.dirty = true;
  }

  duplicate(sourceId: string): void {
    const cursor = this.cursors.get(sourceId);
    if (cursor) cursor.duplicates += 1;
  }

  lost(sourceId: string, count: number): void {
    const cursor = this.cursors.get(sourceId);
    if (!cursor) return;
    cursor.lostEvents = saturatingAdd(cursor.lostEvents, count);
    cursor.dirty = true;
  }

  /** The `duplicates` events since the last call, one per source. */
  takeDuplicates(at: Date): CollectorEventRow[] {
    const events: CollectorEventRow[] = [];
    for (const [id, cursor] of this.cursors) {
      if (cursor.duplicates === 0) continue;
      events.push({ collectorId: id, at, kind: 'duplicates', count: cursor.duplicates, details: { reason: 'already seen (a resumed stream or a resend)' } });
      cursor.duplicates = 0;
    }
    return events;
  }

  /**
   * The states of the sources that changed since the last call. `oldestOpen()` gives the start of the oldest
   * window still in memory (asked only when a state changed, as it walks the open records): a source resumes
   * from there, since what is before it is in this batch or an earlier one.
   */
  takeStates(oldestOpen: () => number | undefined): CollectorState[] {
    const states: CollectorState[] = [];
    let oldest: number | undefined | null = null;
    for (const [id, cursor] of this.cursors) {
      if (!cursor.dirty) continue;
      if (oldest === null) oldest = oldestOpen();
      cursor.dirty = false;
      const resumeAt = oldest !== undefined && cursor.lastSeenTime !== undefined ? Math.min(oldest, cursor.lastSeenTime) : cursor.lastSeenTime;
      states.push({
        id,
        kind: cursor.kind,
        address: cursor.address,
        connected: cursor.connected,
        lastSeenTime: resumeAt === undefined ? null : new Date(resumeAt),
        cursor: { ids: resumeAt === cursor.lastSeenTime ? cursor.idsAtLastSeen.slice() : [] },
        lostEvents: cursor.lostEvents,
        lastError: cursor.lastError,
      });
    }
    return states;
  }
}
