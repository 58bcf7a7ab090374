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
  const parts: Fragment[] = [
    sql`r.window_start >= ${filter.from.toISOString()}::timestamptz`,
    sql`r.window_start < ${filter.to.toISOString()}::timestamptz`,
  ];
  if (scope !== '*') parts.push(scopeCondition(sql, scope, 'r'));
  if (filter.src) parts.push(endpointCondition(sql, 'src', filter.src));
  if (filter.dst) parts.push(endpointCondition(sql, 'dst', filter.dst));
  if (filter.port !== undefined) parts.push(sql`r.dst_port = ${filter.port}`);
  if (filter.protocol !== undefined) parts.push(sql`lower(r.protocol) = ${filter.protocol.toLowerCase()}`);
  if (filter.label?.length) {
    const labels = filter.label.filter((l) => l !== 'unlabeled');
    const unlabeled = filter.label.includes('unlabeled');
    const labeled = sql`r.label::text = any(${textArray(sql, labels)}::text[])`;
    parts.push(labels.length === 0 ? sql`r.label is null` : unlabeled ? sql`(${labeled} or r.label is null)` : labeled);
  }
  if (filter.kind?.length) parts.push(sql`r.drift_kind::text = any(${textArray(sql, filter.kind)}::text[])`);
  if (filter.observed?.length) parts.push(sql`r.observed = any(${textArray(sql, filter.observed)}::text[])`);
  if (filter.revision !== undefined) parts.push(sql`r.policy_revision_id = ${filter.revision}`);
  if (filter.source !== undefined) parts.push(sql`r.source = ${filter.source}`);
  if (filter.cluster !== undefined) parts.push(sql`r.cluster = ${filter.cluster}`);
  return parts;
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

/** Records strictly after `position` in newest-first order (window_start desc, id desc). */
export function afterPosition(sql: Sql, position: FlowRecordPosition | undefined): Fragment {
  if (position === undefined) return sql`true`;
  const start = microsToIso(position.windowStartMicros);
  return sql`r.window_start <= ${start}::timestamptz and (r.window_start, r.id) < (${start}::timestamptz, ${position.id}::int8)`;
}
