import { stat } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { printable, silentLogger, type Logger } from '@driftwatch/common';
import { compileRevision, formatFinding, loadManifests, type LoadResult, type PolicySnapshot, type Problem } from '@driftwatch/policy-engine';
import { readGitCommit } from './git-commit.js';
import { readPolicyFiles, type PolicyFileLimits, type PolicySource } from './policy-files.js';
import { PolicyInputError } from './policy-input-error.js';
import { revisionContentHash } from './revision-documents.js';

/** The declared policies at a path, compiled, with what identifies the revision. */
export interface DeclaredPolicies {
  readonly path: string;
  readonly kind: 'directory' | 'file';
  readonly sources: readonly PolicySource[];
  readonly loaded: LoadResult;
  readonly snapshot: PolicySnapshot;
  /** sha256 over every file's relative name and text, in path order ({@link revisionContentHash}). */
  readonly contentHash: string;
  /** HEAD of the Git checkout holding the path, read without running git; null outside a checkout. */
  readonly gitCommit: string | null;
}

export interface LoadDeclaredOptions {
  /** Where skipped files, dropped objects and an unreadable Git commit are logged (default: nowhere). */
  readonly logger?: Logger;
  /**
   * Accept a declared set with problems: the objects with problems are left out, each logged as a warning.
   * Default false: any problem makes the set unacceptable ({@link InvalidPoliciesError}).
   */
  readonly allowInvalid?: boolean;
  /** The revision number compiled into the snapshot. */
  readonly revision?: number;
  /** Bounds on the files read (see {@link PolicyFileLimits}). */
  readonly limits?: PolicyFileLimits;
}

/** How many problems an error message or a log lists before it says "and N more". */
const LISTED = 20;

/**
 * A declared set with errors, refused as a whole: a typo must never turn into drift. `problems` are the engine's
 * findings (notes, which are only information, never refuse a set). The message lists them one per line, escaped.
 */
export class InvalidPoliciesError extends PolicyInputError {
  constructor(
    readonly path: string,
    readonly problems: readonly Problem[],
  ) {
    super(invalidMessage(path, problems));
    this.name = 'InvalidPoliciesError';
  }
}

function invalidMessage(path: string, problems: readonly Problem[]): string {
  const listed = problems.slice(0, LISTED).map((p) => printable(formatFinding(p)));
  if (problems.length > LISTED) listed.push(`… and ${problems.length - LISTED} more (driftwatch validate lists them all)`);
  if (problems.length === 1) return `the declared policies under ${printable(path)} have a problem: ${listed[0] ?? ''}`;
  return `the declared policies under ${printable(path)} have ${problems.length} problems:\n  ${listed.join('\n  ')}`;
}

/**
 * The one decision "is this declared set acceptable", shared by serve, collect, evaluate and reload: a set with
 * any problem (an error of the engine) is refused with an {@link InvalidPoliciesError}, unless `allowInvalid`,
 * in which case every dropped object is logged as a warning. Notes never refuse a set.
 */
export function acceptDeclaredSet(path: string, loaded: LoadResult, options: Pick<LoadDeclaredOptions, 'allowInvalid' | 'logger'> = {}): void {
  if (loaded.problems.length === 0) return;
  if (!options.allowInvalid) throw new InvalidPoliciesError(path, loaded.problems);
  const logger = options.logger ?? silentLogger;
  logger.warn(`policies: ${loaded.problems.length} object(s) with problems are left out (allowed by --allow-invalid):`);
  for (const problem of loaded.problems.slice(0, LISTED)) logger.warn(`policy problem: ${formatFinding(problem)}`);
  if (loaded.problems.length > LISTED) logger.warn(`policy problem: … and ${loaded.problems.length - LISTED} more (driftwatch validate lists them all)`);
}

/**
 * Whether the declared set at `path` is acceptable, without compiling it or reading its commit: what serve and
 * collect check before they open a database, so that bad policies fail fast (exit 2).
 *
 * @throws PolicyInputError or InvalidPoliciesError, as {@link loadDeclaredPolicies} would.
 */
export async function checkDeclaredPolicies(path: string, options: Omit<LoadDeclaredOptions, 'revision'> = {}): Promise<void> {
  const { sources } = await readPolicyFiles(path, options.limits);
  acceptDeclaredSet(path, loadManifests(sources), { ...options, logger: silentLogger });
}

/** Problems reading a commit are logged once per process and message, not on every reload. */
const gitProblemsLogged = new Set<string>();

/**
 * Reads, validates and compiles the manifests under `path` (a file or a directory), and decides whether the set
 * is acceptable ({@link acceptDeclaredSet}). Skipped files (link loops, non-regular files) are logged as warnings.
 * The Git commit is read without running git ({@link readGitCommit}); when a checkout is found but its commit
 * cannot be read, that is logged once and the revision is identified by its content hash alone.
 *
 * @throws PolicyInputError when the path is missing or unreadable or a size limit is exceeded;
 *   InvalidPoliciesError when the set has problems and `allowInvalid` is not set.
 */
export async function loadDeclaredPolicies(path: string, options: LoadDeclaredOptions = {}): Promise<DeclaredPolicies> {
  const logger = options.logger ?? silentLogger;
  const { sources, skipped } = await readPolicyFiles(path, options.limits);
  for (const entry of skipped) logger.warn(`policies: skipped ${entry.path}: ${entry.reason}`);
  const isDirectory = (await stat(path)).isDirectory();
  const loaded = loadManifests(sources);
  acceptDeclaredSet(path, loaded, options);
  const base = isDirectory ? path : dirname(path);
  const contentHash = revisionContentHash(sources.map((source) => ({ name: relative(base, source.name), text: source.text })));
  const git = await readGitCommit(path);
  if (git.problem && !gitProblemsLogged.has(git.problem)) {
    gitProblemsLogged.add(git.problem);
    logger.warn(`policies: ${git.problem}; the revision is identified by its content hash alone`);
  }
  return {
    path,
    kind: isDirectory ? 'directory' : 'file',
    sources,
    loaded,
    snapshot: compileRevision(loaded, { revision: options.revision }),
    contentHash,
    gitCommit: git.commit,
  };
}
