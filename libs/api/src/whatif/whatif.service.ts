import { Injectable, NotFoundException } from '@nestjs/common';
import { printable } from '@driftwatch/common';
import type { WhatIfRequest, WhatIfResult } from '@driftwatch/contracts';
import { ReportStoreProvider, runWhatIf, WhatIfTooLargeError, type WhatIfCandidate } from '@driftwatch/persistence';
import { compileRevision, formatFinding, loadManifests } from '@driftwatch/policy-engine';
import type { Actor } from '../auth/access.js';
import { namespaceScope } from '../reports/namespace-scope.js';
import type { FieldIssue } from '@driftwatch/contracts';
import { badRequest } from '../validation/zod.pipe.js';

/** Problems of a candidate listed in a 400 before "and N more". */
const LISTED = 20;

/** What-if: a candidate revision judged against the stored flows of a range, within the caller's scope. */
@Injectable()
export class WhatIfService {
  constructor(private readonly reports: ReportStoreProvider) {}

  /**
   * @throws 403 for a namespace the key may not read, 404 for an unknown revision, 400 for a candidate with
   *   problems or a range too large to evaluate in time.
   */
  async run(request: WhatIfRequest, actor: Actor): Promise<WhatIfResult> {
    const scope = namespaceScope(actor, request.namespaces);
    const candidate = await this.candidate(request.candidate);
    try {
      return await runWhatIf(this.reports.store.reader(), candidate, { from: request.from, to: request.to, scope });
    } catch (error) {
      if (error instanceof WhatIfTooLargeError) throw badRequest([{ path: 'to', message: error.message }]);
      throw error;
    }
  }

  /**
   * A stored revision compiles as it was recorded (objects with problems, if it was accepted with any, left out);
   * documents given inline must have no problem at all, as `serve` and `collect` demand of declared policies.
   */
  private async candidate(candidate: WhatIfRequest['candidate']): Promise<WhatIfCandidate> {
    if ('revision' in candidate) {
      const stored = await this.reports.store.compliance.revision(candidate.revision);
      if (!stored) throw new NotFoundException(`no policy revision ${candidate.revision}`);
      return { snapshot: compileRevision(loadManifests(stored.documents), { revision: stored.id }), revision: stored.id };
    }
    const loaded = loadManifests(candidate.documents);
    if (loaded.problems.length > 0) {
      const index = new Map(candidate.documents.map((d, i) => [d.name, i] as const));
      const issues: FieldIssue[] = loaded.problems.slice(0, LISTED).map((p) => ({
        path: `candidate.documents.${index.get(p.file) ?? 0}`,
        message: printable(formatFinding(p)),
      }));
      if (loaded.problems.length > LISTED) issues.push({ path: 'candidate.documents', message: `… and ${loaded.problems.length - LISTED} more problems` });
      throw badRequest(issues);
    }
    return { snapshot: compileRevision(loaded), revision: null };
  }
}
