import type { Sql } from './sql-client.js';

/** What a new policy revision records: where it came from, its content hash and the documents it was made of. */
export interface NewPolicyRevision {
  readonly sourceKind: 'directory' | 'file' | 'upload';
  readonly sourcePath: string | null;
  readonly gitCommit: string | null;
  readonly contentHash: string;
  readonly documents: readonly { name: string; text: string }[];
  readonly policyCount: number;
  readonly problems: readonly unknown[];
}

/** Policy revisions: immutable and numbered; the newest activated one is in force. */
export class PolicyRevisionRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Records a revision and activates it, or returns the active one when its content hash and Git commit are
   * the same (reloading unchanged policies does not make a new revision).
   */
  async record(revision: NewPolicyRevision): Promise<{ id: number; created: boolean }> {
    return this.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtext('driftwatch.policy_revisions'))`;
      const [active] = await tx<{ id: number; content_hash: string; git_commit: string | null }[]>`
        select id, content_hash, git_commit from policy_revisions where activated_at is not null
        order by activated_at desc, id desc limit 1`;
      if (active && active.content_hash === revision.contentHash && active.git_commit === revision.gitCommit) {
        return { id: active.id, created: false };
      }
      const [row] = await tx<{ id: number }[]>`
        insert into policy_revisions (source_kind, source_path, git_commit, content_hash, documents, policy_count, problems, activated_at)
        values (${revision.sourceKind}, ${revision.sourcePath}, ${revision.gitCommit}, ${revision.contentHash},
                ${tx.json(revision.documents as never)}, ${revision.policyCount}, ${tx.json(revision.problems as never)}, now())
        returning id`;
      if (!row) throw new Error('policy revision insert returned no row');
      return { id: row.id, created: true };
    });
  }

  async get(id: number): Promise<{ id: number; contentHash: string; gitCommit: string | null; sourcePath: string | null; policyCount: number } | undefined> {
    const [row] = await this.sql<{ id: number; content_hash: string; git_commit: string | null; source_path: string | null; policy_count: number }[]>`
      select id, content_hash, git_commit, source_path, policy_count from policy_revisions where id = ${id}`;
    return row
      ? { id: row.id, contentHash: row.content_hash, gitCommit: row.git_commit, sourcePath: row.source_path, policyCount: row.policy_count }
      : undefined;
  }
}
