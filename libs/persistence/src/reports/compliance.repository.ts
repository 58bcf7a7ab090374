import type { IdentityLabels } from '../flows/endpoint-identity.repository.js';
import type { Sql } from '../flows/sql-client.js';
import { recordScope, TEXT_ARRAY, type NamespaceScope } from './record-scope.js';

/** A stored policy revision with the manifest texts it was made of. */
export interface RevisionDocuments {
  readonly id: number;
  readonly activatedAt: Date | null;
  readonly documents: readonly { readonly name: string; readonly text: string }[];
}

/** A workload seen in traffic, with the labels its flows carried. */
export interface ObservedPod {
  readonly namespace: string;
  readonly workload: string;
  readonly labels: IdentityLabels;
  readonly namespaceLabels: IdentityLabels | null;
}

/** The unresolved, unsuppressed alerts of one namespace (either side). */
export interface NamespaceAlerts {
  readonly count: number;
  /** Newest first, at most `limit`. */
  readonly ids: string[];
}

/** Workloads read per report at most (distinct namespace, workload and label set of the range). */
export const OBSERVED_POD_LIMIT = 100_000;

/** The reads the compliance report (and a what-if's candidate by number) needs. */
export class ComplianceRepository {
  constructor(private readonly sql: Sql) {}

  /** The revision in force: the one activated last. */
  async activeRevision(): Promise<RevisionDocuments | undefined> {
    const [row] = await this.sql<{ id: number; activated_at: Date | null; documents: RevisionDocuments['documents'] }[]>`
      select id, activated_at, documents from policy_revisions where activated_at is not null order by activated_at desc, id desc limit 1`;
    return row && { id: row.id, activatedAt: row.activated_at, documents: row.documents };
  }

  /** A revision by number, active or not. */
  async revision(id: number): Promise<RevisionDocuments | undefined> {
    const [row] = await this.sql<{ id: number; activated_at: Date | null; documents: RevisionDocuments['documents'] }[]>`
      select id, activated_at, documents from policy_revisions where id = ${id}`;
    return row && { id: row.id, activatedAt: row.activated_at, documents: row.documents };
  }

  /** Namespaces on either side of the records of [from, to), within the scope. */
  async namespacesSeen(from: Date, to: Date, scope: NamespaceScope): Promise<string[]> {
    const sql = this.sql;
    const rows = await sql<{ ns: string }[]>`
      select distinct ns from flow_records, lateral (values (src_namespace), (dst_namespace)) as sides(ns)
      where window_start >= ${from.toISOString()}::timestamptz and window_start < ${to.toISOString()}::timestamptz
        and ns is not null and ${recordScope(sql, scope)}
      order by ns`;
    return rows.map((r) => r.ns);
  }

  /**
   * Workloads of these namespaces seen in the connection records of [from, to), one per distinct label set its
   * flows carried (sides whose flows carried no labels are left out: the inventory speaks for them).
   */
  async observedPods(from: Date, to: Date, namespaces: readonly string[]): Promise<{ pods: ObservedPod[]; truncated: boolean }> {
    if (namespaces.length === 0) return { pods: [], truncated: false };
    const sql = this.sql;
    const list = sql.array([...namespaces], TEXT_ARRAY);
    const rows = await sql<{ namespace: string; workload: string; labels: IdentityLabels; namespace_labels: IdentityLabels | null }[]>`
      with sides as (
        select src_namespace as ns, src_workload as wl, src_identity as id from flow_records
        where window_start >= ${from.toISOString()}::timestamptz and window_start < ${to.toISOString()}::timestamptz
          and event = 'connection' and src_namespace = any(${list}::text[]) and src_workload is not null and src_identity <> 0
        union
        select dst_namespace, dst_workload, dst_identity from flow_records
        where window_start >= ${from.toISOString()}::timestamptz and window_start < ${to.toISOString()}::timestamptz
          and event = 'connection' and dst_namespace = any(${list}::text[]) and dst_workload is not null and dst_identity <> 0
      )
      select distinct s.ns as namespace, s.wl as workload, i.labels, i.namespace_labels
      from sides s join endpoint_identities i on i.id = s.id and i.namespace = s.ns
      where i.labels is not null
      order by 1, 2 limit ${OBSERVED_POD_LIMIT + 1}`;
    const pods = rows.slice(0, OBSERVED_POD_LIMIT).map((r) => ({ namespace: r.namespace, workload: r.workload, labels: r.labels, namespaceLabels: r.namespace_labels }));
    return { pods, truncated: rows.length > OBSERVED_POD_LIMIT };
  }

  /**
   * The rules (`namespace/policy#ingress[0]`) that admitted allowed records of [from, to) judged against
   * `revisionId`, within the scope, and how many such records there were.
   */
  async usedRules(from: Date, to: Date, revisionId: number, scope: NamespaceScope): Promise<{ rules: Set<string>; records: number }> {
    const sql = this.sql;
    const where = sql`window_start >= ${from.toISOString()}::timestamptz and window_start < ${to.toISOString()}::timestamptz
      and policy_revision_id = ${revisionId} and label = 'allowed' and allowed_by is not null and ${recordScope(sql, scope)}`;
    const [count] = await sql<{ n: string }[]>`select count(*)::int8 as n from flow_records where ${where}`;
    const rows = await sql<{ rule: string }[]>`select distinct unnest(allowed_by) as rule from flow_records where ${where}`;
    return { rules: new Set(rows.map((r) => r.rule)), records: Number(count?.n ?? 0) };
  }

  /** Open and acknowledged alerts with one of these namespaces on either side, per namespace. */
  async openAlerts(namespaces: readonly string[], limit = 1000): Promise<Map<string, NamespaceAlerts>> {
    const result = new Map<string, NamespaceAlerts>(namespaces.map((ns) => [ns, { count: 0, ids: [] }]));
    if (namespaces.length === 0) return result;
    const sql = this.sql;
    const rows = await sql<{ ns: string; count: string; ids: string[] }[]>`
      select ns, count(*)::int8 as count, (array_agg(id::text order by id desc))[1:${limit}::int] as ids
      from alerts, lateral (select distinct x from (values (src_namespace), (dst_namespace)) as v(x) where x is not null) as sides(ns)
      where status in ('open', 'acknowledged') and ns = any(${sql.array([...namespaces], TEXT_ARRAY)}::text[])
      group by ns`;
    for (const row of rows) result.set(row.ns, { count: Number(row.count), ids: row.ids });
    return result;
  }
}
