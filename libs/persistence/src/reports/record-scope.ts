import type { NamespaceScope } from '../alerts/alert.types.js';
import type { Sql } from '../flows/sql-client.js';

export type { NamespaceScope };

/**
 * Array type oids for `sql.array(values, oid)`. postgres.js learns array types from the server on a pool's first
 * connection; an array parameter of the very first query of a pool is otherwise sent as a scalar and refused
 * ("malformed array literal"). Naming the type makes arrays safe on a fresh pool.
 */
export const TEXT_ARRAY = 1009;
export const INT8_ARRAY = 1016;

/**
 * The condition on `flow_records` (unqualified columns) for records visible in `scope`: a namespace of the scope
 * on either side; records with no namespace on either side only for `*`.
 */
export function recordScope(sql: Sql, scope: NamespaceScope) {
  if (scope === '*') return sql`true`;
  const namespaces = sql.array([...scope], TEXT_ARRAY);
  return sql`(src_namespace = any(${namespaces}::text[]) or dst_namespace = any(${namespaces}::text[]))`;
}
