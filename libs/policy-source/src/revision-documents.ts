import { createHash } from 'node:crypto';
import { compileRevision, loadManifests, type LoadResult, type ManifestSource, type PolicySnapshot } from '@driftwatch/policy-engine';

/**
 * The content hash of a revision: sha256 over every document's name and text (`name NUL text NUL`), in the order
 * given. The one definition, for a directory (names relative to it, in path order) and an upload (names as
 * uploaded, sorted), so the same files make the same hash whichever way they came.
 */
export function revisionContentHash(documents: readonly ManifestSource[]): string {
  const hash = createHash('sha256');
  for (const document of documents) hash.update(`${document.name}\u0000${document.text}\u0000`);
  return hash.digest('hex');
}

/** The stored documents of a revision, loaded and compiled (objects with problems are left out, never half-applied). */
export interface CompiledDocuments {
  readonly loaded: LoadResult;
  readonly snapshot: PolicySnapshot;
}

/**
 * Why a loaded set cannot be put in force, or undefined when it can: it must declare at least one NetworkPolicy
 * that loads. A set whose every policy has a problem (or that declares none) would isolate nothing, so every
 * connection would look allowed: refused rather than silently turned into "no drift".
 */
export function unusableReason(loaded: LoadResult): string | undefined {
  if (loaded.policies.length > 0) return undefined;
  if (loaded.problems.length > 0) return `no valid NetworkPolicy remains: ${loaded.problems.length} problem(s) leave nothing to enforce`;
  return 'the documents declare no NetworkPolicy';
}

/**
 * Loads and compiles a revision from its documents as stored (an upload, or a directory read earlier), without
 * touching the disk: what a collector does when a revision is activated in the database. Objects with problems
 * are left out (as `evaluate --allow-invalid` does); whether the set may be activated at all is
 * {@link unusableReason}'s decision, made before activation. Never throws on bad input.
 */
export function compileDocuments(documents: readonly ManifestSource[], revision?: number): CompiledDocuments {
  const loaded = loadManifests(documents);
  return { loaded, snapshot: compileRevision(loaded, { revision }) };
}
