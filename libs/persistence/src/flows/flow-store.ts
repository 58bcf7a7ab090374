import { printable } from '@driftwatch/common';
import type postgres from 'postgres';
import { CollectorStateRepository, type CollectorEventRow, type CollectorState } from './collector-state.repository.js';
import { EndpointIdentityRepository, type EndpointIdentityRow } from './endpoint-identity.repository.js';
import { EvidenceRepository, type EvidenceRow } from './evidence.repository.js';
import { FlowRecordRepository, type FlowRecordRow } from './flow-record.repository.js';
import { PolicyRevisionRepository } from './policy-revision.repository.js';
import { connectSql, type Sql } from './sql-client.js';
import { isUnavailable } from './write-errors.js';

/** The repositories of the flow pipeline over one postgres.js pool. Close it when done. */
export class FlowStore {
  readonly flowRecords: FlowRecordRepository;
  readonly evidence: EvidenceRepository;
  readonly revisions: PolicyRevisionRepository;
  readonly collectors: CollectorStateRepository;
  readonly identities: EndpointIdentityRepository;

  private constructor(private readonly sql: Sql) {
    this.flowRecords = new FlowRecordRepository(sql);
    this.identities = new EndpointIdentityRepository(sql);
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
   * A pool on `url` that connects on first use, without checking that the database answers (for callers that
   * must start, or stop, while it is down).
   */
  static connect(url: string, max = 4): FlowStore {
    return new FlowStore(connectSql(url, max));
  }

  /**
   * Writes one batch of the pipeline in one transaction: endpoint identities first, then records, evidence,
   * collector events and the collectors' resume cursors, so a cursor never runs ahead of the flows it covers.
   *
   * One bad row never blocks the rest: when the batch fails for a reason other than the database being
   * unreachable (a value Postgres refuses, or one that cannot be encoded), it is written again, in one
   * transaction, with each table's rows split in halves (savepoints) until the rows Postgres refuses are found.
   * Those are set aside, recorded as a `malformed` collector event with code `unstorable` per collector, and
   * returned; everything else is stored, cursors included (a cursor Postgres refuses is retried without its
   * resume ids). Rejects only when the database is unreachable or unavailable (see {@link isUnavailable}) or the
   * retry itself cannot run: then nothing of the batch was written, and the caller retries it whole.
   */
  async writeBatch(batch: FlowBatch): Promise<BatchOutcome> {
    try {
      await this.sql.begin(async (tx) => writeAll(tx as unknown as Sql, batch));
      return STORED_ALL;
    } catch (error) {
      if (isUnavailable(error)) throw error;
    }
    return await this.sql.begin(async (tx) => writeAround(tx, batch));
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}

/** What the flow pipeline writes at once. */
export interface FlowBatch {
  /**
   * Endpoint identities the records point at that this writer has not stored yet, or not within the last hour of
   * flow time (inserted if absent; `last_seen` moved forward when more than an hour behind).
   */
  readonly identities?: readonly EndpointIdentityRow[];
  readonly records: readonly FlowRecordRow[];
  readonly evidence: readonly EvidenceRow[];
  readonly events: readonly CollectorEventRow[];
  readonly states: readonly CollectorState[];
  /**
   * The collector each record (same index) came from, to charge rows Postgres refuses to it. Records and
   * evidence without one are charged to the batch's first collector.
   */
  readonly recordSources?: readonly string[];
  /** The collector each evidence row (same index) came from. */
  readonly evidenceSources?: readonly string[];
}

/** Rows of one batch that Postgres refused (or that could not be encoded), set aside, per collector. */
export interface UnstorableRows {
  readonly collectorId: string;
  /** Rows set aside, of every table. */
  readonly count: number;
  /** Per table: `endpoint_identities`, `flow_records`, `evidence_flows`, `collector_events`, `collector_state`. */
  readonly tables: Readonly<Record<string, number>>;
  /** The last refusal, terminal-safe and truncated. */
  readonly message: string;
}

/** What `writeBatch` did: everything stored, except the rows listed in `unstorable`. */
export interface BatchOutcome {
  readonly unstorable: readonly UnstorableRows[];
}

type Tx = postgres.TransactionSql;

const STORED_ALL: BatchOutcome = Object.freeze({ unstorable: Object.freeze([]) as readonly UnstorableRows[] });
const MESSAGE_LIMIT = 300;

async function writeAll(sql: Sql, batch: FlowBatch): Promise<void> {
  await new EndpointIdentityRepository(sql).insert(batch.identities ?? []);
  await new FlowRecordRepository(sql).insert(batch.records);
  await new EvidenceRepository(sql).insert(batch.evidence);
  const collectors = new CollectorStateRepository(sql);
  await collectors.recordEvents(batch.events);
  for (const state of batch.states) await collectors.save(state);
}

/** The message of a refusal, safe to log and store: terminal-safe, with its SQLSTATE, at most 300 characters. */
function refusal(error: unknown): string {
  const e = error as { message?: unknown; code?: unknown };
  const text = `${typeof e.message === 'string' ? e.message : String(error)}${typeof e.code === 'string' ? ` (${e.code})` : ''}`;
  const safe = printable(text);
  return safe.length > MESSAGE_LIMIT ? `${safe.slice(0, MESSAGE_LIMIT - 1)}…` : safe;
}

/** The second attempt at a batch that failed on its data: bisects each table, stores the good rows. */
async function writeAround(tx: Tx, batch: FlowBatch): Promise<BatchOutcome> {
  const fallback = batch.states[0]?.id ?? batch.events[0]?.collectorId ?? 'pipeline';
  const tally = new Map<string, { count: number; tables: Record<string, number>; message: string }>();
  const setAside = (collectorId: string, table: string, error: unknown) => {
    let entry = tally.get(collectorId);
    if (!entry) tally.set(collectorId, (entry = { count: 0, tables: {}, message: '' }));
    entry.count += 1;
    entry.tables[table] = (entry.tables[table] ?? 0) + 1;
    entry.message = refusal(error);
  };
  const { records, evidence, events, states } = batch;
  const identities = batch.identities ?? [];
  // An identity Postgres refuses only makes the records that point at it "approximate" for a what-if.
  await storeGood(tx, identities.length, (sql, picked) => new EndpointIdentityRepository(sql).insert(picked.map((i) => identities[i] as EndpointIdentityRow)), (_i, error) =>
    setAside(fallback, 'endpoint_identities', error),
  );
  await storeGood(tx, records.length, (sql, picked) => new FlowRecordRepository(sql).insert(picked.map((i) => records[i] as FlowRecordRow)), (i, error) =>
    setAside(batch.recordSources?.[i] ?? fallback, 'flow_records', error),
  );
  await storeGood(tx, evidence.length, (sql, picked) => new EvidenceRepository(sql).insert(picked.map((i) => evidence[i] as EvidenceRow)), (i, error) =>
    setAside(batch.evidenceSources?.[i] ?? fallback, 'evidence_flows', error),
  );
  await storeGood(tx, events.length, (sql, picked) => new CollectorStateRepository(sql).recordEvents(picked.map((i) => events[i] as CollectorEventRow)), (i, error) =>
    setAside(events[i]?.collectorId ?? fallback, 'collector_events', error),
  );
  for (const state of states) {
    const saved = await attempt(tx, (sql) => new CollectorStateRepository(sql).save(state));
    if (saved === true) continue;
    // The position matters more than the ids stored with it: keep the cursor moving without them.
    const bare = { ...state, cursor: {}, address: printable(state.address), lastError: state.lastError === null ? null : printable(state.lastError) };
    if ((await attempt(tx, (sql) => new CollectorStateRepository(sql).save(bare))) !== true) setAside(state.id, 'collector_state', saved);
  }
  const unstorable = [...tally].map(([collectorId, entry]) => ({ collectorId, ...entry }));
  if (unstorable.length === 0) return STORED_ALL;
  const at = new Date();
  const rows = unstorable.map((u) => ({
    collectorId: u.collectorId,
    at,
    kind: 'malformed' as const,
    count: u.count,
    details: { code: 'unstorable', tables: u.tables, lastMessage: u.message },
  }));
  await attempt(tx, (sql) => new CollectorStateRepository(sql).recordEvents(rows));
  return { unstorable };
}

/** Runs `work` in a savepoint: true when it succeeded, else the data error (unavailability is thrown on). */
async function attempt(tx: Tx, work: (sql: Sql) => Promise<void>): Promise<true | unknown> {
  try {
    await tx.savepoint((sp) => work(sp as unknown as Sql));
    return true;
  } catch (error) {
    if (isUnavailable(error)) throw error;
    return error;
  }
}

/**
 * Inserts rows `0 … count-1` with `insert`, halving any group that fails until single rows are left; those are
 * handed to `setAside` with their error. Costs about 2·log2(n) statements per bad row.
 */
async function storeGood(
  tx: Tx,
  count: number,
  insert: (sql: Sql, picked: readonly number[]) => Promise<void>,
  setAside: (index: number, error: unknown) => void,
): Promise<void> {
  if (count === 0) return;
  const pending: number[][] = [Array.from({ length: count }, (_, i) => i)];
  while (pending.length > 0) {
    const group = pending.pop() as number[];
    const outcome = await attempt(tx, (sql) => insert(sql, group));
    if (outcome === true) continue;
    if (group.length === 1) {
      setAside(group[0] as number, outcome);
      continue;
    }
    const mid = group.length >>> 1;
    pending.push(group.slice(mid), group.slice(0, mid));
  }
}
