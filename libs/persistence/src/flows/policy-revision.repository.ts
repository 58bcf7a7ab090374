import { silentLogger, type Logger } from '@driftwatch/common';
import { AuditLogRepository } from '../audit/audit-log.repository.js';
import type { Sql } from './sql-client.js';

/** The NOTIFY channel that carries the id of every revision put in force, at the commit of its activation. */
export const POLICY_ACTIVATION_CHANNEL = 'driftwatch_policy_activation';

export type PolicySourceKind = 'directory' | 'file' | 'upload';

/** What a new policy revision records: where it came from, its content hash and the documents it was made of. */
export interface NewPolicyRevision {
  readonly sourceKind: PolicySourceKind;
  readonly sourcePath: string | null;
  readonly gitCommit: string | null;
  readonly contentHash: string;
  readonly documents: readonly { name: string; text: string }[];
  readonly policyCount: number;
  readonly problems: readonly unknown[];
}

/** A revision as lists show it (no documents). */
export interface PolicyRevisionSummary {
  readonly id: number;
  readonly contentHash: string;
  readonly gitCommit: string | null;
  readonly sourceKind: PolicySourceKind;
  readonly sourcePath: string | null;
  readonly createdAt: Date;
  readonly activatedAt: Date | null;
  /** The revision in force: the one activated last. */
  readonly active: boolean;
  readonly policyCount: number;
  readonly problemCount: number;
}

/** A revision with what it was made of. */
export interface PolicyRevisionDetail extends PolicyRevisionSummary {
  readonly documents: readonly { name: string; text: string }[];
  readonly problems: readonly unknown[];
}

/** Who put a revision in force, for the audit log: an API key prefix, or `policy-dir` (a collector's POLICY_DIR). */
export interface ActivationActor {
  readonly actor: string;
  /** Recorded in the audit entry's details (`reason: "start"`, the path read, ...). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What `record` did: the revision in force, whether it was made now, and whether it was put in force now. */
export interface RecordOutcome {
  readonly id: number;
  readonly created: boolean;
  readonly activated: boolean;
  /** The revision in force before, when this call activated another. */
  readonly previousId: number | null;
}

/** What `activate` did; `not-found` for an unknown id. */
export type ActivationOutcome =
  | { readonly kind: 'not-found' }
  | { readonly kind: 'done'; readonly revision: PolicyRevisionSummary; readonly previousId: number | null; readonly changed: boolean };

interface SummaryRow {
  id: number;
  content_hash: string;
  git_commit: string | null;
  source_kind: PolicySourceKind;
  source_path: string | null;
  created_at: Date;
  activated_at: Date | null;
  active: boolean;
  policy_count: number;
  problem_count: number;
}

const toSummary = (r: SummaryRow): PolicyRevisionSummary => ({
  id: r.id,
  contentHash: r.content_hash,
  gitCommit: r.git_commit,
  sourceKind: r.source_kind,
  sourcePath: r.source_path,
  createdAt: r.created_at,
  activatedAt: r.activated_at,
  active: r.active,
  policyCount: r.policy_count,
  problemCount: r.problem_count,
});

/** Writers of revisions and activations take this transaction lock, so "the one activated last" is well defined. */
const LOCK = "select pg_advisory_xact_lock(hashtext('driftwatch.policy_revisions'))";

/**
 * Policy revisions: immutable and numbered; the one activated last (`activated_at`, then id) is in force.
 * Every activation sets `activated_at` to the clock time after the lock is held (never the transaction's start,
 * which could order two activations against their commits), is audited, and NOTIFYs
 * {@link POLICY_ACTIVATION_CHANNEL} with the revision id at commit, so every collecting process switches to it.
 */
export class PolicyRevisionRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Puts the policies read from disk in force: nothing happens when the revision in force has the same content
   * hash and Git commit (reloading unchanged policies); else the revision of that hash, commit and path is
   * reused, or a new one is made, and activated (audited as `actor`, `policy-dir` by default).
   */
  async record(revision: NewPolicyRevision, by: ActivationActor = { actor: 'policy-dir' }): Promise<RecordOutcome> {
    return this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      await sql.unsafe(LOCK);
      const active = await activeRow(sql);
      if (active && active.content_hash === revision.contentHash && active.git_commit === revision.gitCommit) {
        return { id: active.id, created: false, activated: false, previousId: null };
      }
      const [same] = await sql<{ id: number }[]>`
        select id from policy_revisions
        where content_hash = ${revision.contentHash} and git_commit is not distinct from ${revision.gitCommit}
          and source_path is not distinct from ${revision.sourcePath} and source_kind = ${revision.sourceKind}
        order by id desc limit 1`;
      const id = same?.id ?? (await insert(sql, revision, by.actor));
      await markActive(sql, id, active?.id ?? null, by);
      return { id, created: same === undefined, activated: true, previousId: active?.id ?? null };
    });
  }

  /**
   * Makes a revision of uploaded documents, or returns the revision that has the same content hash (whatever
   * its source). With `activate`, the revision is also put in force (unless it already is). Creation and
   * activation are audited as `actor`, in the same transaction.
   */
  async create(revision: NewPolicyRevision, actor: string, activate: boolean): Promise<{ revision: PolicyRevisionSummary; created: boolean; activated: boolean }> {
    return this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      await sql.unsafe(LOCK);
      const [same] = await sql<{ id: number }[]>`
        select id from policy_revisions where content_hash = ${revision.contentHash} order by id desc limit 1`;
      const id = same?.id ?? (await insert(sql, revision, actor));
      let activated = false;
      if (activate) {
        const active = await activeRow(sql);
        if (active?.id !== id) {
          await markActive(sql, id, active?.id ?? null, { actor });
          activated = true;
        }
      }
      return { revision: (await summaries(sql, { id }))[0] as PolicyRevisionSummary, created: same === undefined, activated };
    });
  }

  /**
   * Puts revision `id` in force for `by`, unless it already is (`changed: false`, nothing recorded). Whether
   * the revision may be put in force at all is the caller's decision, made before.
   */
  async activate(id: number, by: ActivationActor): Promise<ActivationOutcome> {
    return this.sql.begin(async (tx) => {
      const sql = tx as unknown as Sql;
      await sql.unsafe(LOCK);
      const [exists] = await sql<{ id: number }[]>`select id from policy_revisions where id = ${id}`;
      if (!exists) return { kind: 'not-found' as const };
      const active = await activeRow(sql);
      const changed = active?.id !== id;
      if (changed) await markActive(sql, id, active?.id ?? null, by);
      const revision = (await summaries(sql, { id }))[0] as PolicyRevisionSummary;
      return { kind: 'done' as const, revision, previousId: changed ? (active?.id ?? null) : null, changed };
    });
  }

  /** The revision in force (the one activated last), if any. */
  async active(): Promise<{ id: number; contentHash: string } | undefined> {
    const row = await activeRow(this.sql);
    return row ? { id: row.id, contentHash: row.content_hash } : undefined;
  }

  /** Revisions newest first (by number), below `before` when given. */
  async list(options: { limit: number; before?: number }): Promise<PolicyRevisionSummary[]> {
    return summaries(this.sql, options);
  }

  /** A revision with its documents and problems. */
  async detail(id: number): Promise<PolicyRevisionDetail | undefined> {
    const [summary] = await summaries(this.sql, { id });
    if (!summary) return undefined;
    const [row] = await this.sql<{ documents: { name: string; text: string }[]; problems: unknown[] }[]>`
      select documents, problems from policy_revisions where id = ${id}`;
    return row ? { ...summary, documents: row.documents, problems: row.problems } : undefined;
  }

  async get(id: number): Promise<{ id: number; contentHash: string; gitCommit: string | null; sourcePath: string | null; policyCount: number } | undefined> {
    const [row] = await this.sql<{ id: number; content_hash: string; git_commit: string | null; source_path: string | null; policy_count: number }[]>`
      select id, content_hash, git_commit, source_path, policy_count from policy_revisions where id = ${id}`;
    return row
      ? { id: row.id, contentHash: row.content_hash, gitCommit: row.git_commit, sourcePath: row.source_path, policyCount: row.policy_count }
      : undefined;
  }

  /**
   * Follows activations from every process: `onChange` is called on each NOTIFY of
   * {@link POLICY_ACTIVATION_CHANNEL} (with the revision id) and after every (re)connect of the listening
   * connection (with undefined: notifications may have been missed, so the caller should read
   * {@link active}). Uses one more connection while it runs; `stop` ends it.
   */
  async follow(onChange: (revisionId: number | undefined) => void, log: Logger = silentLogger): Promise<{ stop(): Promise<void> }> {
    const call = (id: number | undefined) => {
      try {
        onChange(id);
      } catch (error) {
        log.error(`policy activations: a consumer failed: ${(error as Error).message}`);
      }
    };
    const listening = await this.sql.listen(
      POLICY_ACTIVATION_CHANNEL,
      (payload) => call(/^\d{1,9}$/.test(payload) ? Number(payload) : undefined),
      () => call(undefined),
    );
    return { stop: () => listening.unlisten().catch(() => undefined) };
  }
}

async function activeRow(sql: Sql): Promise<{ id: number; content_hash: string; git_commit: string | null } | undefined> {
  const [row] = await sql<{ id: number; content_hash: string; git_commit: string | null }[]>`
    select id, content_hash, git_commit from policy_revisions where activated_at is not null
    order by activated_at desc, id desc limit 1`;
  return row;
}

async function insert(sql: Sql, revision: NewPolicyRevision, actor: string): Promise<number> {
  const [row] = await sql<{ id: number }[]>`
    insert into policy_revisions (source_kind, source_path, git_commit, content_hash, documents, policy_count, problems)
    values (${revision.sourceKind}, ${revision.sourcePath}, ${revision.gitCommit}, ${revision.contentHash},
            ${sql.json(revision.documents as never)}, ${revision.policyCount}, ${sql.json(revision.problems as never)})
    returning id`;
  if (!row) throw new Error('policy revision insert returned no row');
  await AuditLogRepository.record(sql, {
    actor,
    action: 'policy.create',
    targetType: 'policy_revision',
    targetId: String(row.id),
    details: {
      sourceKind: revision.sourceKind,
      sourcePath: revision.sourcePath,
      gitCommit: revision.gitCommit,
      contentHash: revision.contentHash,
      documents: revision.documents.length,
      policyCount: revision.policyCount,
      problemCount: revision.problems.length,
    },
  });
  return row.id;
}

async function markActive(sql: Sql, id: number, previousId: number | null, by: ActivationActor): Promise<void> {
  await sql`update policy_revisions set activated_at = clock_timestamp() where id = ${id}`;
  await AuditLogRepository.record(sql, {
    actor: by.actor,
    action: 'policy.activate',
    targetType: 'policy_revision',
    targetId: String(id),
    details: { previousRevisionId: previousId, ...by.details },
  });
  await sql`select pg_notify(${POLICY_ACTIVATION_CHANNEL}, ${String(id)})`;
}

async function summaries(sql: Sql, options: { id?: number; limit?: number; before?: number }): Promise<PolicyRevisionSummary[]> {
  const rows = await sql<SummaryRow[]>`
    with active as (
      select id from policy_revisions where activated_at is not null order by activated_at desc, id desc limit 1
    )
    select r.id, r.content_hash, r.git_commit, r.source_kind, r.source_path, r.created_at, r.activated_at,
           r.id = (select id from active) as active, r.policy_count,
           case when jsonb_typeof(r.problems) = 'array' then jsonb_array_length(r.problems) else 0 end as problem_count
    from policy_revisions r
    where ${options.id !== undefined ? sql`r.id = ${options.id}` : options.before !== undefined ? sql`r.id < ${options.before}` : sql`true`}
    order by r.id desc
    limit ${options.limit ?? 1}`;
  return rows.map((r) => ({ ...toSummary(r), active: r.active === true }));
}
