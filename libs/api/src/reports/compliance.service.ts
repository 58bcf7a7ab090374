import { Injectable } from '@nestjs/common';
import type { ComplianceQuery, ComplianceReport } from '@driftwatch/contracts';
import { ReportStoreProvider } from '@driftwatch/persistence';
import { compileRevision, loadManifests } from '@driftwatch/policy-engine';
import type { Actor } from '../auth/access.js';
import { buildComplianceReport, declaredNamespaces } from './compliance-report.js';
import { namespaceScope } from './namespace-scope.js';

/** The compliance report of the active revision and the range's traffic, within the caller's scope. */
@Injectable()
export class ComplianceService {
  constructor(private readonly reports: ReportStoreProvider) {}

  /** @throws 403 for a namespace the key may not read. */
  async report(query: ComplianceQuery, actor: Actor): Promise<ComplianceReport> {
    const scope = namespaceScope(actor, query.namespace === undefined ? undefined : [query.namespace]);
    const repo = this.reports.store.compliance;
    const stored = await repo.activeRevision();
    const revision = stored ? { id: stored.id, activatedAt: stored.activatedAt, snapshot: compileRevision(loadManifests(stored.documents), { revision: stored.id }) } : null;
    const seen = new Set(await repo.namespacesSeen(query.from, query.to, scope));
    const inScope = (ns: string) => scope === '*' || scope.includes(ns);
    const namespaces =
      query.namespace !== undefined
        ? [query.namespace]
        : [...new Set([...(revision ? declaredNamespaces(revision.snapshot) : []), ...seen])].filter(inScope).sort();
    const [observed, used, alerts] = await Promise.all([
      repo.observedPods(query.from, query.to, namespaces),
      revision ? repo.usedRules(query.from, query.to, revision.id, scope) : { rules: new Set<string>(), records: 0 },
      repo.openAlerts(namespaces),
    ]);
    return buildComplianceReport({
      revision, from: query.from, to: query.to, namespaces, seen, observedPods: observed.pods, usedRules: used.rules,
      attributedRecords: used.records, alerts,
    });
  }
}
