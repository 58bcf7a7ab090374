import type { CollectorEventKind } from '@driftwatch/contracts';
import type { Sql } from './sql-client.js';

/** Where a collector stands, so that a restart resumes where it stopped. */
export interface CollectorState {
  readonly id: string;
  readonly kind: string;
  readonly address: string;
  readonly connected: boolean;
  readonly lastSeenTime: Date | null;
  /** Source-specific resume data (e.g. ids already seen at `lastSeenTime`). */
  readonly cursor: Record<string, unknown>;
  readonly lostEvents: number;
  readonly lastError: string | null;
}

/** A gap or a state change of a source, recorded as data (kinds: see {@link CollectorEventKind}). */
export interface CollectorEventRow {
  readonly collectorId: string;
  readonly at: Date;
  readonly kind: CollectorEventKind;
  readonly count: number;
  readonly details: Record<string, unknown>;
}

/** `collector_state` and `collector_events`. */
export class CollectorStateRepository {
  constructor(private readonly sql: Sql) {}

  async save(state: CollectorState): Promise<void> {
    await this.sql`
      insert into collector_state (id, kind, address, connected, last_seen_time, cursor, lost_events, last_error, updated_at)
      values (${state.id}, ${state.kind}, ${state.address}, ${state.connected}, ${state.lastSeenTime},
              ${this.sql.json(state.cursor as never)}, ${state.lostEvents}, ${state.lastError}, now())
      on conflict (id) do update set kind = excluded.kind, address = excluded.address, connected = excluded.connected,
        last_seen_time = excluded.last_seen_time, cursor = excluded.cursor, lost_events = excluded.lost_events,
        last_error = excluded.last_error, updated_at = now()`;
  }

  async load(id: string): Promise<CollectorState | undefined> {
    const [row] = await this.sql<Record<string, unknown>[]>`
      select id, kind, address, connected, last_seen_time, cursor, lost_events::int8 as lost_events, last_error
      from collector_state where id = ${id}`;
    if (!row) return undefined;
    return {
      id: row['id'] as string,
      kind: row['kind'] as string,
      address: row['address'] as string,
      connected: row['connected'] as boolean,
      lastSeenTime: row['last_seen_time'] as Date | null,
      cursor: row['cursor'] as Record<string, unknown>,
      lostEvents: Number(row['lost_events']),
      lastError: row['last_error'] as string | null,
    };
  }

  async recordEvents(events: readonly CollectorEventRow[]): Promise<void> {
    if (events.length === 0) return;
    const sql = this.sql;
    await sql`
      insert into collector_events (collector_id, at, kind, count, details)
      select cid, a::timestamptz, k, c, d::jsonb from unnest(
        ${sql.array(events.map((e) => e.collectorId))}::text[], ${sql.array(events.map((e) => e.at.toISOString()))}::text[],
        ${sql.array(events.map((e) => e.kind))}::text[], ${sql.array(events.map((e) => e.count))}::int8[],
        ${sql.array(events.map((e) => JSON.stringify(e.details)))}::text[]) as t(cid, a, k, c, d)`;
  }

  async events(collectorId?: string): Promise<CollectorEventRow[]> {
    const rows = await this.sql<{ collector_id: string; at: Date; kind: CollectorEventKind; count: string; details: Record<string, unknown> }[]>`
      select collector_id, at, kind, count::text, details from collector_events
      where ${collectorId ? this.sql`collector_id = ${collectorId}` : this.sql`true`} order by id`;
    return rows.map((r) => ({ collectorId: r.collector_id, at: r.at, kind: r.kind, count: Number(r.count), details: r.details }));
  }
}
