import type { NamespaceScope } from '../alerts/alert.types.js';
import type { Sql } from '../flows/sql-client.js';

export type { NamespaceScope };

/**
 * The condition on `flow_records` (unqualified columns) for records visible in `scope`: a namespace of the scope
 * on either side; records with no namespace on either side only for `*`.
 */
export function recordScope(sql: Sql, scope: NamespaceScope) {
  if (scope === '*') return sql`true`;
  const namespaces = sql.array([...scope]);
  return sql`(src_namespace = any(${namespaces}::text[]) or dst_namespace = any(${namespaces}::text[]))`;
}
