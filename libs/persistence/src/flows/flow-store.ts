import { CollectorStateRepository } from './collector-state.repository.js';
import { EvidenceRepository } from './evidence.repository.js';
import { FlowRecordRepository } from './flow-record.repository.js';
import { PolicyRevisionRepository } from './policy-revision.repository.js';
import { connectSql, type Sql } from './sql-client.js';

/** The repositories of the flow pipeline over one postgres.js pool. Close it when done. */
export class FlowStore {
  readonly flowRecords: FlowRecordRepository;
  readonly evidence: EvidenceRepository;
  readonly revisions: PolicyRevisionRepository;
  readonly collectors: CollectorStateRepository;

  private constructor(private readonly sql: Sql) {
    this.flowRecords = new FlowRecordRepository(sql);
    this.evidence = new EvidenceRepository(sql);
    this.revisions = new PolicyRevisionRepository(sql);
    this.collectors = new CollectorStateRepository(sql);
  }

  /** Opens a pool on `url` (`max` connections) and checks that it answers. */
  static async open(url: string, max = 4): Promise<FlowStore> {
    const sql = connectSql(url, max);
    try {
      await sql`select 1`;
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw error;
    }
    return new FlowStore(sql);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}
