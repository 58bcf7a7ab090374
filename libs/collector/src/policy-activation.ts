import { formatFinding, type PolicySnapshot } from '@driftwatch/policy-engine';
import type { Logger } from '@driftwatch/common';
import type { FlowStore } from '@driftwatch/persistence';
import { compileDocuments, InvalidPoliciesError, loadDeclaredPolicies, unusableReason, type DeclaredPolicies } from '@driftwatch/policy-source';
import type { FlowPipeline } from './pipeline/flow-pipeline.js';

/** Records the declared policies read from disk as the revision in force (see PolicyRevisionRepository.record). */
export async function recordDeclared(store: FlowStore, declared: DeclaredPolicies, reason: 'start' | 'reload'): Promise<number> {
  const { id } = await store.revisions.record(
    {
      sourceKind: declared.kind,
      sourcePath: declared.path,
      gitCommit: declared.gitCommit,
      contentHash: declared.contentHash,
      documents: declared.sources,
      policyCount: declared.loaded.policies.length,
      problems: declared.loaded.problems,
    },
    { actor: 'policy-dir', details: { reason, path: declared.path } },
  );
  return id;
}

/**
 * Keeps a pipeline on the revision in force, whoever puts it there. Two ways in, one switch:
 * - `reloadFromDisk` (SIGHUP): makes a revision of POLICY_DIR and activates it in the database (which tells
 *   every other collecting process), then switches to it here;
 * - `syncWithDatabase` (a NOTIFY on the activation channel, or the listener reconnecting): switches to the
 *   revision activated last in the database, compiled from its stored documents.
 * Both run one at a time, in order, so the pipeline always ends on the revision activated last. Never rejects:
 * a failure is logged and the running revision stays.
 */
export class RevisionFollower {
  private queue: Promise<void> = Promise.resolve();
  private currentId: number;
  private currentHash: string;

  constructor(
    private readonly pipeline: FlowPipeline,
    private readonly store: FlowStore,
    private readonly policies: string,
    private readonly logger: Logger,
    start: { readonly id: number; readonly contentHash: string },
  ) {
    this.currentId = start.id;
    this.currentHash = start.contentHash;
  }

  /** The revision the pipeline classifies against. */
  get revisionId(): number {
    return this.currentId;
  }

  /** Reads POLICY_DIR again; a changed, acceptable set becomes the revision in force everywhere. */
  reloadFromDisk(): Promise<void> {
    return this.enqueue(async () => {
      let next: DeclaredPolicies;
      try {
        next = await loadDeclaredPolicies(this.policies, { logger: this.logger });
      } catch (error) {
        if (error instanceof InvalidPoliciesError) {
          this.logger.error(`policies: reload refused, keeping revision ${this.currentId}: ${error.problems.length} problem(s) in ${error.path}`);
          for (const problem of error.problems.slice(0, 20)) this.logger.error(`policy problem: ${formatFinding(problem)}`);
        } else {
          this.logger.error(`policies: reload failed, keeping revision ${this.currentId}: ${(error as Error).message}`);
        }
        return;
      }
      if (next.contentHash === this.currentHash) {
        this.logger.log('policies: unchanged');
        return;
      }
      const id = await recordDeclared(this.store, next, 'reload');
      this.switchTo(id, next.contentHash, next.snapshot, `${next.loaded.policies.length} policies`);
    });
  }

  /** Switches to the revision activated last in the database, when it is not the running one. */
  syncWithDatabase(): Promise<void> {
    return this.enqueue(async () => {
      const active = await this.store.revisions.active();
      if (!active || active.id === this.currentId) return;
      const revision = await this.store.revisions.detail(active.id);
      if (!revision) return;
      const compiled = compileDocuments(revision.documents, revision.id);
      const unusable = unusableReason(compiled.loaded);
      if (unusable) {
        this.logger.error(`policies: revision ${revision.id} was activated but cannot be enforced (${unusable}); keeping revision ${this.currentId}`);
        return;
      }
      const skipped = compiled.loaded.problems.length;
      this.switchTo(
        revision.id,
        revision.contentHash,
        compiled.snapshot,
        `${compiled.loaded.policies.length} policies${skipped > 0 ? `, ${skipped} object(s) with problems left out` : ''}, activated in the database`,
      );
    });
  }

  /** Waits for the reloads and switches queued so far. */
  settled(): Promise<void> {
    return this.queue;
  }

  /** The one switch: flows from now on are judged against `snapshot`, and the pipeline's observers are told. */
  private switchTo(id: number, contentHash: string, snapshot: PolicySnapshot, what: string): void {
    this.currentId = id;
    this.currentHash = contentHash;
    this.pipeline.setRevision({ snapshot, id });
    this.logger.log(`policies: now revision ${id} (${what})`);
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(work).catch((error: Error) => {
      this.logger.error(`policies: cannot switch revisions now, keeping revision ${this.currentId}: ${error.message}`);
    });
    return this.queue;
  }
}
