import { printable, type Logger } from '@driftwatch/common';
import type { HubbleLostEvents } from '@driftwatch/flow';
import type { CollectorEventRow } from '@driftwatch/persistence';
import { LogThrottle, saturatingAdd } from './log-throttle.js';

/** A message that could not be normalized or decoded, as `FlowPipeline.reject` takes it. */
export interface RejectedMessage {
  readonly code: string;
  readonly message: string;
  readonly path?: string | undefined;
}

interface Tally {
  readonly sourceId: string;
  readonly code: string;
  count: number;
  messages: number;
  lastPath: string | null;
  lastMessage: string;
}

/** Longest message text kept in a collector event or written in a log line. */
const TEXT_LIMIT = 300;

function short(text: string): string {
  const safe = printable(text);
  return safe.length > TEXT_LIMIT ? `${safe.slice(0, TEXT_LIMIT - 1)}…` : safe;
}

/**
 * The gaps in what sources delivered (malformed messages, events the source reports lost), tallied per source
 * and code between two batches, so a source sending garbage, or a relay losing events by the thousand, costs one
 * `collector_events` row per source and code per batch and a bounded number of log lines, never one per
 * message. At most `maxKeys` tallies are held: beyond that, new codes are folded into code `other`.
 */
export class GapTally {
  private readonly tallies = new Map<string, Tally>();
  private readonly throttle: LogThrottle;

  constructor(
    logger: Logger,
    private readonly maxKeys = 1000,
    logFirst = 5,
    logIntervalMs = 60_000,
  ) {
    this.throttle = new LogThrottle((line) => logger.warn(line), logFirst, logIntervalMs);
  }

  /** Counts one message that could not be normalized. */
  malformed(sourceId: string, error: RejectedMessage): void {
    const tally = this.tally(sourceId, 'malformed', error.code);
    tally.count += 1;
    tally.messages += 1;
    tally.lastPath = error.path ?? null;
    tally.lastMessage = error.message;
    this.throttle.note(
      `malformed\u0000${sourceId}`,
      1,
      () => `${sourceId}: skipped a malformed message (${error.code}${error.path ? ` at ${error.path}` : ''}: ${short(error.message)})`,
      (held) => `${sourceId}: skipped ${held} more malformed message(s), last: ${error.code}${error.path ? ` at ${error.path}` : ''}: ${short(error.message)}`,
    );
  }

  /** Counts one lost-events message (its `numEventsLost`, saturating). */
  lost(sourceId: string, lost: HubbleLostEvents): void {
    const tally = this.tally(sourceId, 'lost_events', lost.source);
    tally.count = saturatingAdd(tally.count, lost.numEventsLost);
    tally.messages += 1;
    tally.lastPath = lost.node ?? null;
    tally.lastMessage = lost.cpu === undefined ? '' : `cpu ${lost.cpu}`;
    this.throttle.note(
      `lost\u0000${sourceId}`,
      lost.numEventsLost,
      () => `${sourceId}: the source lost ${lost.numEventsLost} event(s) (${short(lost.source)}); recorded as a gap`,
      (held, lines) => `${sourceId}: the source lost ${held} more event(s) in ${lines} message(s); recorded as gaps`,
    );
  }

  /** The tallies since the last call as collector events (one per source and code), then forgets them. */
  take(at: Date): CollectorEventRow[] {
    this.throttle.flush();
    const events: CollectorEventRow[] = [];
    for (const t of this.tallies.values()) {
      const kind = t.code.startsWith('lost_events\u0000') ? 'lost_events' : 'malformed';
      const code = t.code.slice(t.code.indexOf('\u0000') + 1);
      events.push(
        kind === 'malformed'
          ? { collectorId: t.sourceId, at, kind, count: t.count, details: { code: short(code), messages: t.messages, lastPath: t.lastPath === null ? null : short(t.lastPath), lastMessage: short(t.lastMessage) } }
          : { collectorId: t.sourceId, at, kind, count: t.count, details: { source: short(code), messages: t.messages, lastNode: t.lastPath === null ? null : short(t.lastPath) } },
      );
    }
    this.tallies.clear();
    return events;
  }

  /** Writes the log summaries still held (at close). */
  flushLog(): void {
    this.throttle.flush(true);
  }

  /** Tallies held now (at most `maxKeys`). */
  get size(): number {
    return this.tallies.size;
  }

  private tally(sourceId: string, kind: 'malformed' | 'lost_events', code: string): Tally {
    let key = `${sourceId}\u0000${kind}\u0000${code}`;
    let tally = this.tallies.get(key);
    if (tally) return tally;
    if (this.tallies.size >= this.maxKeys - 2) {
      key = `\u0000overflow\u0000${kind}`;
      tally = this.tallies.get(key);
      if (tally) return tally;
      code = 'other';
    }
    tally = { sourceId, code: `${kind}\u0000${code}`, count: 0, messages: 0, lastPath: null, lastMessage: '' };
    this.tallies.set(key, tally);
    return tally;
  }
}
