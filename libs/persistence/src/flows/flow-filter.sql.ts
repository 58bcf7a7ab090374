import type { DriftKind, EndpointFilter, FlowLabelFilter, FlowRecordPosition, ObservedVerdict } from '@driftwatch/contracts';
import type postgres from 'postgres';
import { scopeCondition, type NamespaceScope } from '../alerts/alert.types.js';
import { textArray, type Sql } from './sql-client.js';

/** What the flow read routes filter on; every field but the range optional (the API resolves the range). */
export interface FlowRecordFilter {
  /** Windows starting in [from, to). */
  readonly from: Date;
  readonly to: Date;
  /** Either side in this namespace. */
  readonly namespace?: string | undefined;
  readonly src?: EndpointFilter | undefined;
  readonly dst?: EndpointFilter | undefined;
  readonly port?: number | undefined;
  /** Matched in any case. */
  readonly protocol?: string | undefined;
  readonly label?: readonly FlowLabelFilter[] | undefined;
  readonly kind?: readonly DriftKind[] | undefined;
  readonly observed?: readonly ObservedVerdict[] | undefined;
  readonly revision?: number | undefined;
  readonly source?: string | undefined;
  readonly cluster?: string | undefined;
}

export type Fragment = postgres.PendingQuery<postgres.Row[]>;

/** `a and b and ...` of fragments (`true` for none). */
export function allOf(sql: Sql, parts: readonly Fragment[]): Fragment {
  return parts.reduce((acc, part) => sql`${acc} and ${part}`, sql`true`);
}

/** A window start in microseconds since 1970 as an ISO timestamp with every microsecond (a Date keeps only ms). */
export function microsToIso(micros: string): string {
  const us = BigInt(micros);
  const ms = us / 1000n;
  return new Date(Number(ms)).toISOString().replace('Z', `${String(us - ms * 1000n).padStart(3, '0')}Z`);
}

function endpointCondition(sql: Sql, side: 'src' | 'dst', filter: EndpointFilter): Fragment {
  const ns = side === 'src' ? sql`r.src_namespace` : sql`r.dst_namespace`;
  const workload = side === 'src' ? sql`r.src_workload` : sql`r.dst_workload`;
  const ip = side === 'src' ? sql`r.src_ip` : sql`r.dst_ip`;
  switch (filter.kind) {
    case 'workload':
      return sql`${ns} = ${filter.namespace} and ${workload} = ${filter.workload}`;
    case 'namespace':
      return sql`${ns} = ${filter.namespace}`;
    case 'ip':
      return sql`${ip} = ${filter.ip}::inet`;
    case 'cidr':
      return sql`${ip} <<= ${filter.cidr}::inet`;
  }
}

/**
 * The conditions of `filter` and `scope` over `flow_records r`, except the either-side namespace filter (callers
 * drive their query with it, see {@link namespaceSides}).
 */
export function filterConditions(sql: Sql, filter: FlowRecordFilter, scope: NamespaceScope): Fragment[] {
  return [
    sql`r.window_start >= ${filter.from.toISOString()}::timestamptz`,
    sql`r.window_start < ${filter.to.toISOString()}::timestamptz`,
    ...dimensionConditions(sql, filter, scope),
  ];
}

/**
 * The conditions of {@link filterConditions} but the range, over a table aliased `r` with the columns of
 * `flow_records` the filter names (so also over `connection_hours` when {@link filterOnRollupDimensions} holds).
 */
export function dimensionConditions(sql: Sql, filter: FlowRecordFilter, scope: NamespaceScope): Fragment[] {
  const parts: Fragment[] = [];
  if (scope !== '*') parts.push(scopeCondition(sql, scope, 'r'));
  if (filter.src) parts.push(endpointCondition(sql, 'src', filter.src));
  if (filter.dst) parts.push(endpointCondition(sql, 'dst', filter.dst));
  if (filter.port !== undefined) parts.push(sql`r.dst_port = ${filter.port}`);
  if (filter.protocol !== undefined) parts.push(sql`lower(r.protocol) = ${filter.protocol.toLowerCase()}`);
  if (filter.label?.length) {
    const labels = filter.label.filter((l) => l !== 'unlabeled');
    const unlabeled = filter.label.includes('unlabeled');
    const labeled = sql`r.label = any(${textArray(sql, labels)}::flow_label[])`;
    parts.push(labels.length === 0 ? sql`r.label is null` : unlabeled ? sql`(${labeled} or r.label is null)` : labeled);
  }
  if (filter.kind?.length) parts.push(sql`r.drift_kind = any(${textArray(sql, filter.kind)}::drift_kind[])`);
  if (filter.observed?.length) parts.push(sql`r.observed = any(${textArray(sql, filter.observed)}::text[])`);
  if (filter.revision !== undefined) parts.push(sql`r.policy_revision_id = ${filter.revision}`);
  if (filter.source !== undefined) parts.push(sql`r.source = ${filter.source}`);
  if (filter.cluster !== undefined) parts.push(sql`r.cluster = ${filter.cluster}`);
  return parts;
}

/**
 * Whether the filter names only columns that `connection_hours` keeps (namespaces, workloads, port, protocol,
 * label, drift kind, source, cluster): not an endpoint by address or CIDR (the rollup keeps a side's address only
 * when its workload is not known), the observed verdict or the policy revision.
 */
export function filterOnRollupDimensions(filter: FlowRecordFilter): boolean {
  const byAddress = (e: EndpointFilter | undefined) => e?.kind === 'ip' || e?.kind === 'cidr';
  return !byAddress(filter.src) && !byAddress(filter.dst) && !filter.observed?.length && filter.revision === undefined;
}

/**
 * The either-side namespace filter as two disjoint conditions (source in it; destination in it and source not),
 * so that a query can run one index scan per side (`flow_records_{src,dst}_namespace_window_start_idx`) in window
 * order instead of one bitmap scan of every matching row. Undefined without a namespace filter.
 */
export function namespaceSides(sql: Sql, namespace: string | undefined): [Fragment, Fragment] | undefined {
  if (namespace === undefined) return undefined;
  return [sql`r.src_namespace = ${namespace}`, sql`r.dst_namespace = ${namespace} and r.src_namespace is distinct from ${namespace}`];
}

/** Scopes of at most this many namespaces drive a page query by namespace (see {@link drivingConditions}). */
const DRIVING_SCOPE_MAX = 4;

/**
 * Disjoint conditions whose union is every record a page query may return, each of them selective on one
 * namespace column, so that the query runs one ordered index scan per condition and stops each after a page
 * instead of walking the primary key through records it filters away (a scope whose namespaces are quiet over a
 * week would otherwise read the whole week). From the namespace filter when there is one, else from a scope of at
 * most 4 namespaces (empty for an empty scope: nothing to read); undefined when neither applies. `coverScope`:
 * the conditions imply the scope, so the query leaves the scope condition out (repeating it would make the planner
 * underestimate each scan and sort every matching row instead).
 */
export function drivingConditions(sql: Sql, namespace: string | undefined, scope: NamespaceScope): { conditions: Fragment[]; coverScope: boolean } | undefined {
  const sides = namespaceSides(sql, namespace);
  if (sides) return { conditions: sides, coverScope: false };
  if (scope === '*' || scope.length > DRIVING_SCOPE_MAX) return undefined;
  const all = textArray(sql, scope);
  const conditions = [
    ...scope.map((ns) => sql`r.src_namespace = ${ns}`),
    ...scope.map((ns) => sql`r.dst_namespace = ${ns} and (r.src_namespace is null or not r.src_namespace = any(${all}::text[]))`),
  ];
  return { conditions, coverScope: true };
}

/** Records strictly after `position` in newest-first order (window_start desc, id desc). */
export function afterPosition(sql: Sql, position: FlowRecordPosition | undefined): Fragment {
  if (position === undefined) return sql`true`;
  const start = microsToIso(position.windowStartMicros);
  return sql`r.window_start <= ${start}::timestamptz and (r.window_start, r.id) < (${start}::timestamptz, ${position.id}::int8)`;
}
