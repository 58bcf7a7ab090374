import { CollectorQueryRepository } from './collector-query.repository.js';
import { ConnectionQueryRepository } from './connection-query.repository.js';
import { FlowQueryRepository } from './flow-query.repository.js';
import { connectSql, type Sql } from './sql-client.js';

/**
 * The read side of flows for the API: records, evidence, connections and collectors. Queries run on one pool and
 * exports on another (each export holds its connection while it streams), so a few long exports never make the
 * other reads wait. Both pools name their sessions `driftwatch flow queries` in `pg_stat_activity`. Close it when done.
 */
export class FlowQueries {
  readonly records: FlowQueryRepository;
  readonly connections: ConnectionQueryRepository;
  readonly collectors: CollectorQueryRepository;

  constructor(
    private readonly sql: Sql,
    private readonly exportSql: Sql,
  ) {
    this.records = new FlowQueryRepository(sql, exportSql);
    this.connections = new ConnectionQueryRepository(sql);
    this.collectors = new CollectorQueryRepository(sql);
  }

  /**
   * Opens the pools on `url`: `max` connections for queries, `maxExports` for exports (more exports wait their
   * turn). JIT compilation is off: these statements run for milliseconds to about a second, where compiling costs
   * more than it saves (a day of connections over 1M records, on a loaded 2-core machine: 0.5–1.5 s with JIT,
   * 0.3–0.7 s without).
   */
  static open(url: string, max = 6, maxExports = 4): FlowQueries {
    const session = { applicationName: 'driftwatch flow queries', settings: { jit: 'off' } };
    return new FlowQueries(connectSql(url, max, session), connectSql(url, maxExports, session));
  }

  async close(): Promise<void> {
    await Promise.all([this.sql.end({ timeout: 5 }), this.exportSql.end({ timeout: 5 })]);
  }
}
