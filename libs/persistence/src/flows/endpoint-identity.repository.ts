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
}

/** Array type oids (see reports/record-scope.ts): this repository also serves pools that have not queried yet. */
const TEXT_ARRAY = 1009;
const INT8_ARRAY = 1016;

/** The identity id of a side judged as an external peer (by its address): it has no row. */
export const EXTERNAL_IDENTITY = '0';

/** Writes and reads `endpoint_identities`. */
export class EndpointIdentityRepository {
  constructor(private readonly sql: Sql) {}

  /** Inserts the identities not stored yet, in one statement (an identity already there is left as it is). */
  async insert(rows: readonly EndpointIdentityRow[]): Promise<void> {
    if (rows.length === 0) return;
    const sql = this.sql;
    const json = (labels: IdentityLabels | null) => (labels === null ? null : jsonbText(labels));
    await sql`
      insert into endpoint_identities (id, namespace, labels, namespace_labels)
      select id, ns, lb::jsonb, nl::jsonb
      from unnest(${sql.array(rows.map((r) => r.id), INT8_ARRAY)}::int8[], ${sql.array(rows.map((r) => r.namespace), TEXT_ARRAY)}::text[],
        ${sql.array(rows.map((r) => json(r.labels)), TEXT_ARRAY)}::text[], ${sql.array(rows.map((r) => json(r.namespaceLabels)), TEXT_ARRAY)}::text[]) as t(id, ns, lb, nl)
      on conflict (id) do nothing`;
  }

  /** The identities of these ids that are stored (in no particular order). */
  async get(ids: readonly string[]): Promise<EndpointIdentityRow[]> {
    if (ids.length === 0) return [];
    const rows = await this.sql<{ id: string; namespace: string; labels: IdentityLabels | null; namespace_labels: IdentityLabels | null }[]>`
      select id::text, namespace, labels, namespace_labels from endpoint_identities where id = any(${this.sql.array([...ids], INT8_ARRAY)}::int8[])`;
    return rows.map((r) => ({ id: r.id, namespace: r.namespace, labels: r.labels, namespaceLabels: r.namespace_labels }));
  }
}
