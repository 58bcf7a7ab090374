import { ForbiddenException, Injectable, NotFoundException, UnprocessableEntityException } from '@nestjs/common';
import { ACTIVATION_NOTE, type policyRevisionSummary } from '@driftwatch/contracts';
import { loadManifests, type LoadResult, type Problem } from '@driftwatch/policy-engine';
import { AlertStoreProvider, type PolicyRevisionDetail, type PolicyRevisionSummary } from '@driftwatch/persistence';
import { diffRevisions, revisionContentHash, unusableReason } from '@driftwatch/policy-source';
import type { z } from 'zod';
import { hasRole, type Actor } from '../auth/access.js';

type SummaryJson = z.output<typeof policyRevisionSummary>;

/** A revision as the API answers it (times as ISO text). */
export function summaryJson(r: PolicyRevisionSummary): SummaryJson {
  return {
    id: r.id,
    contentHash: r.contentHash,
    gitCommit: r.gitCommit,
    sourceKind: r.sourceKind,
    sourcePath: r.sourcePath,
    createdAt: r.createdAt.toISOString(),
    activatedAt: r.activatedAt?.toISOString() ?? null,
    active: r.active,
    policyCount: r.policyCount,
    problemCount: r.problemCount,
  };
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** 422 with one entry per problem (file, document, path, code, message). */
function unprocessable(message: string, problems: readonly Problem[]): UnprocessableEntityException {
  return new UnprocessableEntityException({ statusCode: 422, error: 'Unprocessable Entity', message, problems });
}

/**
 * Policy revisions for the REST API: read, compare, upload and activate. Revisions are cluster-wide
 * configuration, so every key may read them whatever its namespace scope; uploads need an operator key and
 * activation an admin key. Every write is one transaction with its audit entry (see PolicyRevisionRepository).
 */
@Injectable()
export class PolicyRevisionsService {
  constructor(private readonly stores: AlertStoreProvider) {}

  private get revisions() {
    return this.stores.store.revisions;
  }

  async list(limit: number, cursor: string | undefined) {
    const rows = await this.revisions.list({ limit: limit + 1, ...(cursor ? { before: Number(cursor) } : {}) });
    const page = rows.slice(0, limit);
    return { revisions: page.map(summaryJson), nextCursor: rows.length > limit ? String((page[page.length - 1] as PolicyRevisionSummary).id) : null };
  }

  async detail(id: number) {
    const revision = await this.found(id);
    const loaded = loadManifests(revision.documents);
    const policies = [...loaded.policies]
      .sort((a, b) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.namespace < b.namespace ? -1 : 1))
      .map((p) => ({
        namespace: p.namespace,
        name: p.name,
        directions: (['ingress', 'egress'] as const).filter((d) => p.policyTypes.includes(d === 'ingress' ? 'Ingress' : 'Egress')),
        podSelector: p.podSelector,
        ingressRules: p.ingress.length,
        egressRules: p.egress.length,
        origin: p.origin ?? { file: '', document: 0 },
      }));
    return { revision: summaryJson(revision), documents: revision.documents, problems: revision.problems, policies };
  }

  async diff(id: number, other: number) {
    const [from, to] = [await this.found(id), await this.found(other)];
    return { from: summaryJson(from), to: summaryJson(to), ...diffRevisions(loadManifests(from.documents), loadManifests(to.documents)) };
  }

  /**
   * Makes a revision of `documents` (stored sorted by name), or returns the one with the same content hash.
   * 403 when `activate` is asked without an admin key, 422 when no valid NetworkPolicy remains; both before
   * anything is written.
   */
  async upload(documents: readonly { name: string; text: string }[], activate: boolean, actor: Actor) {
    if (activate && !hasRole(actor, 'admin')) throw new ForbiddenException(`activate: true needs the admin role; the key has ${actor.role} (upload without it, then an admin activates)`);
    const sorted = [...documents].sort(byName);
    const loaded = loadManifests(sorted);
    const unusable = unusableReason(loaded);
    if (unusable) throw unprocessable(`no revision made: ${unusable}`, loaded.problems);
    const result = await this.revisions.create(
      {
        sourceKind: 'upload',
        sourcePath: null,
        gitCommit: null,
        contentHash: revisionContentHash(sorted),
        documents: sorted,
        policyCount: loaded.policies.length,
        problems: loaded.problems,
      },
      actor.prefix,
      activate,
    );
    return { revision: summaryJson(result.revision), created: result.created, activated: result.activated, problems: loaded.problems };
  }

  /** Puts revision `id` in force (every collecting process switches to it); 422 when it holds no valid NetworkPolicy. */
  async activate(id: number, actor: Actor) {
    const revision = await this.found(id);
    const loaded: LoadResult = loadManifests(revision.documents);
    const unusable = unusableReason(loaded);
    if (unusable) throw unprocessable(`revision ${id} cannot be activated: ${unusable}`, loaded.problems);
    const outcome = await this.revisions.activate(id, { actor: actor.prefix });
    if (outcome.kind === 'not-found') throw new NotFoundException(`no policy revision ${id}`);
    return { revision: summaryJson(outcome.revision), previousRevisionId: outcome.previousId, changed: outcome.changed, note: ACTIVATION_NOTE };
  }

  private async found(id: number): Promise<PolicyRevisionDetail> {
    const revision = await this.revisions.detail(id);
    if (!revision) throw new NotFoundException(`no policy revision ${id}`);
    return revision;
  }
}
