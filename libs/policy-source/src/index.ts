/**
 * @driftwatch/policy-source: the declared policies as files on disk: reading a file or directory of manifests
 * (bounded, never following a link loop or reading a FIFO), validating and compiling them into a revision, the one
 * decision whether a declared set is acceptable, and what identifies a revision (content hash, Git commit read
 * without running git), and how two revisions differ (on the parsed objects). No database, no network, no framework.
 */
export { PolicyInputError } from './policy-input-error.js';
export {
  DEFAULT_POLICY_FILE_LIMITS,
  listFiles,
  readPolicyFiles,
  readPolicySources,
  type PolicyFileLimits,
  type PolicyFiles,
  type PolicySource,
  type SkippedPath,
} from './policy-files.js';
export {
  acceptDeclaredSet,
  checkDeclaredPolicies,
  InvalidPoliciesError,
  loadDeclaredPolicies,
  type DeclaredPolicies,
  type LoadDeclaredOptions,
} from './declared-policies.js';
export { readGitCommit, type GitCommitResult } from './git-commit.js';
export { compileDocuments, revisionContentHash, unusableReason, type CompiledDocuments } from './revision-documents.js';
export { diffRevisions, diffRules, type InventoryChanges, type PolicyChange, type RevisionDiff, type RuleChange, type RuleDirection } from './revision-diff.js';
