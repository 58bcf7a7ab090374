import postgres from 'postgres';
import type { Sql } from '../flows/sql-client.js';
import { ComplianceRepository } from './compliance.repository.js';
import { StoredConnectionReader } from './stored-connections.reader.js';

export interface ReportStoreOptions {
  /** Connections of the pool (default 4). */
  readonly max?: number;
  /** Postgres cancels a statement of this pool after this long (`statement_timeout`; default 60 s). */
  readonly statementTimeoutMs?: number;
}

/**
 * The read side of what-ifs and compliance reports over one postgres.js pool of its own, whose statements
 * Postgres cancels after `statementTimeoutMs` (see {@link isStatementTimeout}): a range too large to read never
 * holds a connection for long. Its sessions may use 64 MB per sort or hash (`work_mem`). Close it when done.
 */
export class ReportStore {
  readonly compliance: ComplianceRepository;

  private constructor(private readonly sql: Sql) {
    this.compliance = new ComplianceRepository(sql);
  }

  /** A pool on `url` that connects on first use. */
  static open(url: string, options: ReportStoreOptions = {}): ReportStore {
    const sql = postgres(url, {
      max: options.max ?? 4,
      onnotice: () => undefined,
      idle_timeout: 30,
      connect_timeout: 10,
      prepare: true,
      // work_mem: a what-if sums a range's records per connection in one hash aggregate; at the default 4 MB
      // tens of thousands of distinct connections spill to disk.
      connection: { application_name: 'driftwatch-reports', statement_timeout: options.statementTimeoutMs ?? 60_000, work_mem: '64MB' },
    });
    return new ReportStore(sql);
  }

  /**
   * A reader of stored connections with a cache of its own: one per what-if (its identity cache is filled
   * by the run), so concurrent runs do not share state.
   */
  reader(): StoredConnectionReader {
    return new StoredConnectionReader(this.sql);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}

/** Whether Postgres cancelled a statement for running past `statement_timeout` (SQLSTATE 57014). */
export function isStatementTimeout(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '57014';
}
