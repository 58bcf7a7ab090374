import { CollectorStateRepository, type CollectorEventRow, type CollectorState } from './collector-state.repository.js';
import { EvidenceRepository, type EvidenceRow } from './evidence.repository.js';
import { FlowRecordRepository, type FlowRecordRow } from './flow-record.repository.js';
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

  /**
   * Writes one batch of the pipeline in one transaction: records, evidence, collector events and the collectors'
   * resume cursors, so a cursor never runs ahead of the flows it covers. All or nothing.
   */
  async writeBatch(batch: FlowBatch): Promise<void> {
    await this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      await new FlowRecordRepository(sql).insert(batch.records);
      await new EvidenceRepository(sql).insert(batch.evidence);
      const collectors = new CollectorStateRepository(sql);
      await collectors.recordEvents(batch.events);
      for (const state of batch.states) await collectors.save(state);
    });
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}

/** What the flow pipeline writes at once. */
export interface FlowBatch {
  readonly records: readonly FlowRecordRow[];
  readonly evidence: readonly EvidenceRow[];
  readonly events: readonly CollectorEventRow[];
  readonly states: readonly CollectorState[];
}
