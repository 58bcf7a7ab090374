import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { compileRevision, formatFinding, loadManifests, type LoadResult, type PolicySnapshot } from '@driftwatch/policy-engine';
import { readPolicySources, type PolicySource } from './policy-files.js';

/** The declared policies at a path, compiled, with what identifies the revision. */
export interface DeclaredPolicies {
  readonly path: string;
  readonly kind: 'directory' | 'file';
  readonly sources: readonly PolicySource[];
  readonly loaded: LoadResult;
  readonly snapshot: PolicySnapshot;
  /** sha256 over every file's relative name and text, in path order. */
  readonly contentHash: string;
  /** HEAD of the Git checkout holding the path (with `-dirty` when the files differ from it), else null. */
  readonly gitCommit: string | null;
}

const run = promisify(execFile);

async function gitCommit(path: string, isDirectory: boolean): Promise<string | null> {
  const cwd = isDirectory ? path : dirname(path);
  try {
    const { stdout: head } = await run('git', ['-C', cwd, 'rev-parse', 'HEAD'], { timeout: 5000 });
    const { stdout: status } = await run('git', ['-C', cwd, 'status', '--porcelain', '--', resolve(path)], { timeout: 5000 });
    return `${head.trim()}${status.trim() === '' ? '' : '-dirty'}`;
  } catch {
    return null; // not in a Git checkout, or no git: the revision is identified by its content hash alone
  }
}

/**
 * Reads, validates and compiles the manifests under `path` (a file or a directory). Problems are passed to `log`,
 * one line each; the documents without problems still load. Missing or unreadable paths throw PolicyInputError.
 */
export async function loadDeclaredPolicies(path: string, log: (line: string) => void, revision?: number): Promise<DeclaredPolicies> {
  const sources = await readPolicySources(path);
  const isDirectory = (await stat(path)).isDirectory();
  const loaded = loadManifests(sources);
  for (const problem of loaded.problems.slice(0, 20)) log(`policy problem: ${formatFinding(problem)}`);
  if (loaded.problems.length > 20) log(`policy problem: … and ${loaded.problems.length - 20} more (run \`driftwatch validate\`)`);
  const hash = createHash('sha256');
  const base = isDirectory ? path : dirname(path);
  for (const source of sources) hash.update(`${relative(base, source.name)}\u0000${source.text}\u0000`);
  return {
    path,
    kind: isDirectory ? 'directory' : 'file',
    sources,
    loaded,
    snapshot: compileRevision(loaded, { revision }),
    contentHash: hash.digest('hex'),
    gitCommit: await gitCommit(path, isDirectory),
  };
}
