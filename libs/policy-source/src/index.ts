/**
 * @driftwatch/policy-source: the declared policies as files on disk: reading a file or directory of manifests,
 * validating and compiling them into a revision, and what identifies that revision (content hash, Git commit).
 * No database, no network, no framework.
 */
export { PolicyInputError } from './policy-input-error.js';
export { listFiles, readPolicySources, type PolicySource } from './policy-files.js';
export { loadDeclaredPolicies, type DeclaredPolicies } from './declared-policies.js';
