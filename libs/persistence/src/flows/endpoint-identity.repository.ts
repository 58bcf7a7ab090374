import { jsonbText } from './evidence.repository.js';
import type { Sql } from './sql-client.js';

/** A label map as flows carry it. */
export type IdentityLabels = Readonly<Record<string, string>>;

/**
 * What the engine judged one pod side of a flow by, beyond namespace and workload: the labels its flows carried
 * (null when they carried none, so the inventory's were used). `id` is a signed int8 in decimal: the first 8
 * bytes of the sha-256 of the identity's canonical form (see the collector's EndpointIdentities).
 */
export interface EndpointIdentityRow {
  readonly id: string;
  readonly namespace: string;
  readonly labels: IdentityLabels | null;
  readonly namespaceLabels: IdentityLabels | null;
  /**
   * The latest flow time of the records that point at it, as far as the writer knows (when inserting, none given:
   * the time of the write). Retention prunes by it: see {@link EndpointIdentityRepository.insert}.
   */
  readonly lastSeen?: Date;
}

/** Array type oids (see reports/record-scope.ts): this repository also serves pools that have not queried yet. */
const TEXT_ARRAY = 1009;
const INT8_ARRAY = 1016;

/**
 * How far (ms) a stored `last_seen` may be behind a row's before the writer moves it forward, and how far the flow
 * time may move past the time a collector last queued an identity before it queues it again: a record kept is
 * therefore never more than twice this later than its identities' `last_seen` (retention allows a day).
 */
export const IDENTITY_REFRESH_MS = 3_600_000;
const STALE_SECONDS = IDENTITY_REFRESH_MS / 1000;

/** The identity id of a side judged as an external peer (by its address): it has no row. */
export const EXTERNAL_IDENTITY = '0';

/** Writes and reads `endpoint_identities`. */
export class EndpointIdentityRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Inserts the identities not stored yet and moves `last_seen` of those stored forward to the row's, in one
   * statement; only when the stored one is more than {@link IDENTITY_REFRESH_MS} behind (and never back), so that
   * collectors that queue each identity they use again every hour of flow time cost one row update per identity
   * and hour.
   * Rows of one id are written once, with the latest `lastSeen`. Rows that would change nothing are left out
   * before the upsert, which locks every row it finds in conflict, changed or not: writers of other batches are
   * not made to wait for rows this one does not change, and those it does change are locked in id order (no
   * deadlock between two batches).
   */
  async insert(rows: readonly EndpointIdentityRow[]): Promise<void> {
    if (rows.length === 0) return;
    const sql = this.sql;
    const json = (labels: IdentityLabels | null) => (labels === null ? null : jsonbText(labels));
    await sql`
      insert into endpoint_identities as e (id, namespace, labels, namespace_labels, last_seen)
      select distinct on (t.id) t.id, t.ns, t.lb::jsonb, t.nl::jsonb, w.seen
      from unnest(${sql.array(rows.map((r) => r.id), INT8_ARRAY)}::int8[], ${sql.array(rows.map((r) => r.namespace), TEXT_ARRAY)}::text[],
        ${sql.array(rows.map((r) => json(r.labels)), TEXT_ARRAY)}::text[], ${sql.array(rows.map((r) => json(r.namespaceLabels)), TEXT_ARRAY)}::text[],
        ${sql.array(rows.map((r) => r.lastSeen?.toISOString() ?? null), TEXT_ARRAY)}::text[]) as t(id, ns, lb, nl, ls)
        cross join lateral (select coalesce(t.ls::timestamptz, now()) as seen) w
      where not exists (select 1 from endpoint_identities s where s.id = t.id and s.last_seen >= w.seen - ${STALE_SECONDS}::int4 * interval '1 second')
      order by t.id, w.seen desc
      on conflict (id) do update set last_seen = excluded.last_seen where e.last_seen < excluded.last_seen - ${STALE_SECONDS}::int4 * interval '1 second'`;
  }

  /** The identities of these ids that are stored (in no particular order). */
  async get(ids: readonly string[]): Promise<EndpointIdentityRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql<{ id: string; namespace: string; labels: IdentityLabels | null; namespace_labels: IdentityLabels | null; last_seen: Date }[]>`
      select id::text, namespace, labels, namespace_labels, last_seen from endpoint_identities where id = any(${this.sql.array([...ids], INT8_ARRAY)}::int8[])`;
    return rows.map((r) => ({ id: r.id, namespace: r.namespace, labels: r.labels, namespaceLabels: r.namespace_labels, lastSeen: r.last_seen }));
  }
}
