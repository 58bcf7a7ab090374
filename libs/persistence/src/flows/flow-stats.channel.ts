import { silentLogger, type Logger } from '@driftwatch/common';
import type { Sql } from './sql-client.js';

/** The NOTIFY channel that carries live per-namespace flow counts from collectors to API processes. */
export const FLOW_STATS_CHANNEL = 'driftwatch_flow_stats';

/** Flows of one namespace by label, over some interval. */
export interface NamespaceFlowCounts {
  allowed: number;
  denied: number;
  unexpected: number;
}

/** Counts by namespace (a flow counts once for each distinct namespace of its two sides). */
export type FlowStatsCounts = ReadonlyMap<string, NamespaceFlowCounts>;

/** Postgres refuses NOTIFY payloads of 8000 bytes or more; stay well under it. */
const MAX_PAYLOAD_BYTES = 7600;

/**
 * Splits counts into NOTIFY payloads, each a JSON array of `[namespace, allowed, denied, unexpected]` under
 * {@link MAX_PAYLOAD_BYTES}. A namespace too long to fit in one payload on its own is left out.
 */
export function flowStatsPayloads(counts: FlowStatsCounts): string[] {
  const payloads: string[] = [];
  let parts: string[] = [];
  let bytes = 2;
  for (const [namespace, c] of counts) {
    const part = JSON.stringify([namespace, c.allowed, c.denied, c.unexpected]);
    const size = Buffer.byteLength(part) + 1;
    if (size + 2 > MAX_PAYLOAD_BYTES) continue;
    if (bytes + size > MAX_PAYLOAD_BYTES) {
      payloads.push(`[${parts.join(',')}]`);
      parts = [];
      bytes = 2;
    }
    parts.push(part);
    bytes += size;
  }
  if (parts.length > 0) payloads.push(`[${parts.join(',')}]`);
  return payloads;
}

const count = (value: unknown): number => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : 0);

/** Reads one payload of {@link flowStatsPayloads}; anything malformed is skipped, never thrown. */
export function parseFlowStatsPayload(payload: string): Map<string, NamespaceFlowCounts> {
  const counts = new Map<string, NamespaceFlowCounts>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return counts;
  }
  if (!Array.isArray(parsed)) return counts;
  for (const entry of parsed) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') continue;
    const seen = counts.get(entry[0]) ?? { allowed: 0, denied: 0, unexpected: 0 };
    seen.allowed += count(entry[1]);
    seen.denied += count(entry[2]);
    seen.unexpected += count(entry[3]);
    counts.set(entry[0], seen);
  }
  return counts;
}

/**
 * Live flow counts across processes, through Postgres NOTIFY only (nothing is stored: a count is a live view,
 * and a listener that is away misses it, as a dashboard would). Collectors `publish` what they classified in
 * the last second; every API process `follow`s them on one LISTEN connection.
 */
export class FlowStatsChannel {
  constructor(private readonly sql: Sql) {}

  /** Sends `counts` as one or more notifications (in one statement: they arrive together, in order). */
  async publish(counts: FlowStatsCounts): Promise<void> {
    const payloads = flowStatsPayloads(counts);
    if (payloads.length === 0) return;
    await this.sql`select pg_notify(${FLOW_STATS_CHANNEL}, p) from unnest(${this.sql.array(payloads)}::text[]) as p`;
  }

  /** Calls `onCounts` with the counts of every notification from now on; `stop` ends it. */
  async follow(onCounts: (counts: Map<string, NamespaceFlowCounts>) => void, log: Logger = silentLogger): Promise<{ stop(): Promise<void> }> {
    let stopped = false;
    const listening = await this.sql.listen(FLOW_STATS_CHANNEL, (payload) => {
      if (stopped) return;
      try {
        onCounts(parseFlowStatsPayload(payload));
      } catch (error) {
        log.error(`flow stats: a consumer failed: ${(error as Error).message}`);
      }
    });
    return {
      async stop() {
        stopped = true;
        await listening.unlisten().catch(() => undefined);
      },
    };
  }
}
