/**
 * @driftwatch/policy-engine: what the declared NetworkPolicies say about a connection, and why.
 *
 * Pure TypeScript: no I/O, no framework, no globals. Load manifests (texts in, problems out as data), compile a
 * revision once, then evaluate connections against the immutable snapshot:
 *
 * ```ts
 * const loaded = loadManifests(sources);            // { policies, namespaces, pods, problems, notes }
 * const snapshot = compileRevision(loaded, { revision: 7 });
 * const decision = snapshot.evaluate(src, dst, 443, 'TCP');
 * renderExplanation(decision);                       // "denied: payments/ledger is isolated for ingress by ..."
 * ```
 */

/** Parse and validate YAML/JSON manifests into policies and inventory; see {@link LoadResult}. */
export { loadManifests, type LoadResult } from './load/load-manifests.js';
export type { ManifestSource } from './load/parse-sources.js';

/** Compile a revision into an immutable {@link PolicySnapshot} that evaluates and caches decisions. */
export { compileRevision, type CompileOptions, type PolicySnapshot, type RevisionInput } from './compile/compile-revision.js';
export type { CacheStats } from './compile/decision-cache.js';

/** Explain a {@link Decision}: as structured data, or as text a person can act on. */
export { explainDecision, renderExplanation, type Explanation, type HalfExplanation, type HalfReason } from './explain.js';

/** Run one scenario of the conformance corpus format through load, compile and evaluate. */
export { runConformanceScenario, type ConformanceFailure, type ConformanceReport } from './conformance.js';

/** `file:doc:path: message`, the one-line form of a problem or note. */
export { formatFinding, type Finding, type Note, type NoteCode, type Problem, type ProblemCode } from './problems.js';

export type {
  Decision,
  Direction,
  Endpoint,
  ExternalEndpoint,
  HalfDecision,
  IssueCode,
  PodEndpoint,
  PolicyRef,
  RuleMatch,
  Verdict,
} from './decision.js';
export type {
  IpBlock,
  LabelSelector,
  LabelSelectorRequirement,
  Labels,
  NamedPort,
  Namespace,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicyRule,
  Origin,
  PodKind,
  PodTemplate,
  PolicyType,
  Protocol,
  SelectorOperator,
} from './model.js';
