import type { FlowLabel } from '@driftwatch/contracts';
import type { StoredConnection, StoredSide } from '@driftwatch/flow';
import { EndpointIdentityRepository, EXTERNAL_IDENTITY } from '../flows/endpoint-identity.repository.js';
import type { Sql } from '../flows/sql-client.js';
import { recordScope, type NamespaceScope } from './record-scope.js';

/** Which records a what-if reads: labeled connection records whose window starts in [from, to), within a scope. */
export interface StoredConnectionQuery {
  readonly from: Date;
  readonly to: Date;
  /** Records with one of these namespaces on either side (`*`: every record). */
  readonly scope: NamespaceScope;
  /** Rows per cursor fetch (default 2,000). */
  readonly chunkSize?: number;
}

interface Row {
  src_namespace: string | null;
  src_workload: string | null;
  src_ip: string | null;
  dst_namespace: string | null;
  dst_workload: string | null;
  dst_ip: string | null;
  dst_port: number | null;
  protocol: string;
  direction: string;
  observed: string;
  drop_reason: string | null;
  label: FlowLabel;
  src_identity: string | null;
  dst_identity: string | null;
  ip_unknown: boolean;
  records: string;
  flows: string;
}

const UNKNOWN: StoredSide = Object.freeze({ kind: 'unknown' });
const EXTERNAL: StoredSide = Object.freeze({ kind: 'external' });
/** Identities remembered between chunks (one shared object each, so the evaluator's caches stay warm). */
const IDENTITY_CACHE_LIMIT = 100_000;

/**
 * Streams stored connections for a what-if: the labeled connection records of a range, summed in Postgres over
 * every field a judgement depends on (so a connection seen in a thousand windows is judged once), ordered by
 * connection (src, dst, port, protocol) so that the rows of one connection come together, fetched with a cursor.
 * Each side's endpoint identity is resolved to a {@link StoredSide} (one query per chunk for the ids not seen yet).
 */
export class StoredConnectionReader {
  private readonly identities: EndpointIdentityRepository;
  private readonly sides = new Map<string, StoredSide>();

  constructor(private readonly sql: Sql) {
    this.identities = new EndpointIdentityRepository(sql);
  }

  /** The summed connections, chunk by chunk. Breaking out of the loop ends the query. */
  async *stream(query: StoredConnectionQuery): AsyncGenerator<StoredConnection[]> {
    const sql = this.sql;
    const cursor = sql<Row[]>`
      select src_namespace, src_workload, host(src_ip) as src_ip, dst_namespace, dst_workload, host(dst_ip) as dst_ip, dst_port,
        protocol, direction, observed, drop_reason, label::text as label, src_identity::text as src_identity,
        dst_identity::text as dst_identity, bool_and(issues @> array['pod_ip_unknown']) as ip_unknown,
        count(*)::int8 as records, sum(flow_count)::int8 as flows
      from flow_records
      where window_start >= ${query.from.toISOString()}::timestamptz and window_start < ${query.to.toISOString()}::timestamptz
        and event = 'connection' and label is not null and ${recordScope(sql, query.scope)}
      group by src_namespace, src_workload, src_ip, dst_namespace, dst_workload, dst_ip, dst_port, protocol, direction, observed,
        drop_reason, label, src_identity, dst_identity
      order by src_namespace, src_workload, src_ip, dst_namespace, dst_workload, dst_ip, dst_port, protocol`.cursor(query.chunkSize ?? 2000);
    for await (const rows of cursor) {
      await this.resolve(rows);
      yield rows.map((r) => this.connection(r));
    }
  }

  private connection(r: Row): StoredConnection {
    return {
      srcNamespace: r.src_namespace,
      srcWorkload: r.src_workload,
      srcIp: r.src_ip,
      dstNamespace: r.dst_namespace,
      dstWorkload: r.dst_workload,
      dstIp: r.dst_ip,
      dstPort: r.dst_port,
      protocol: r.protocol,
      direction: r.direction,
      observed: r.observed,
      dropReason: r.drop_reason,
      label: r.label,
      src: this.side(r.src_identity),
      dst: this.side(r.dst_identity),
      podIpUnknownAtIngest: r.ip_unknown,
      records: Number(r.records),
      flows: Number(r.flows),
    };
  }

  private side(id: string | null): StoredSide {
    if (id === null) return UNKNOWN;
    if (id === EXTERNAL_IDENTITY) return EXTERNAL;
    return this.sides.get(id) ?? UNKNOWN;
  }

  /** Loads the identities of a chunk that are not cached; an id with no row stays unknown (approximate). */
  private async resolve(rows: readonly Row[]): Promise<void> {
    const ids = (cached: boolean) => {
      const found = new Set<string>();
      for (const r of rows) {
        for (const id of [r.src_identity, r.dst_identity]) if (id !== null && id !== EXTERNAL_IDENTITY && (cached || !this.sides.has(id))) found.add(id);
      }
      return found;
    };
    let missing = ids(false);
    if (missing.size === 0) return;
    if (this.sides.size + missing.size > IDENTITY_CACHE_LIMIT) {
      this.sides.clear();
      missing = ids(true);
    }
    for (const row of await this.identities.get([...missing])) {
      this.sides.set(row.id, Object.freeze({ kind: 'pod', namespace: row.namespace, labels: row.labels, namespaceLabels: row.namespaceLabels }));
    }
    for (const id of missing) if (!this.sides.has(id)) this.sides.set(id, UNKNOWN);
  }
}
