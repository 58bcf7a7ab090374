import type { Collector, CollectorEventKind } from '@driftwatch/contracts';
import type { Sql } from './sql-client.js';

type Row = Record<string, unknown>;

/**
 * The fields of each kind's `details` that never quote flow data (the collectors write them: source-cursors.ts,
 * gap-tally.ts, flow-pipeline.ts). A malformed message's `lastMessage` and `lastPath` can quote what a flow
 * carried (an address, a label key, a value Postgres refused), so they are only for keys that see every namespace.
 */
const SAFE_DETAILS: Readonly<Record<CollectorEventKind, readonly string[]>> = {
  connected: ['error'],
  disconnected: ['error'],
  lost_events: ['source', 'messages', 'lastNode'],
  node_status: ['state', 'nodes', 'message'],
  malformed: ['code', 'messages'],
  duplicates: ['reason'],
};

function safeDetails(kind: string, details: Record<string, unknown>): Record<string, unknown> {
  const keep = SAFE_DETAILS[kind as CollectorEventKind] ?? [];
  return Object.fromEntries(Object.entries(details).filter(([key]) => keep.includes(key)));
}

const iso = (value: unknown): string => new Date(value as string | Date).toISOString();

/** Each source's state (`collector_state`) with its recent events (`collector_events`), for the API. */
export class CollectorQueryRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Every collector, by id, with its events since `since` (newest first, at most `perCollector`). `details:
   * 'safe'` keeps only the detail fields that cannot quote flow data (for keys scoped to namespaces).
   */
  async list(options: { since: Date; perCollector: number; details: 'all' | 'safe' }): Promise<Collector[]> {
    const rows = await this.sql<Row[]>`
      select s.id, s.kind, s.address, s.connected, s.last_error, s.last_seen_time, s.lost_events::text as lost_events,
        s.updated_at, s.cursor,
        coalesce((
          select json_agg(json_build_object('kind', g.kind, 'count', g.count::text, 'at', g.at, 'details', g.details) order by g.at desc, g.id desc)
          from (select e.id, e.kind, e.count, e.at, e.details from collector_events e
                where e.collector_id = s.id and e.at >= ${options.since.toISOString()}::timestamptz
                order by e.at desc, e.id desc limit ${options.perCollector}) g
        ), '[]'::json) as gaps
      from collector_state s order by s.id`;
    return rows.map((r) => ({
      id: r['id'] as string,
      kind: r['kind'] as string,
      address: r['address'] as string,
      connected: r['connected'] as boolean,
      lastError: r['last_error'] as string | null,
      lastSeenTime: r['last_seen_time'] === null ? null : iso(r['last_seen_time']),
      lostEvents: Number(r['lost_events']),
      updatedAt: iso(r['updated_at']),
      cursor: (r['cursor'] ?? {}) as Record<string, unknown>,
      gaps: (r['gaps'] as { kind: CollectorEventKind; count: string; at: string; details: Record<string, unknown> | null }[]).map((g) => ({
        kind: g.kind,
        count: Number(g.count),
        at: iso(g.at),
        details: options.details === 'all' ? (g.details ?? {}) : safeDetails(g.kind, g.details ?? {}),
      })),
    }));
  }
}
