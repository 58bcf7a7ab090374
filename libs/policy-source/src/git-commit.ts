import { constants } from 'node:fs';
import { lstat, open, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** The commit of the checkout holding a path, or why it could not be read (null `commit` and no reason: no checkout). */
export interface GitCommitResult {
  readonly commit: string | null;
  /** Set when a checkout was found but its commit could not be read: one line, for the log. */
  readonly problem?: string;
}

const OBJECT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
/** A ref name as `git check-ref-format` allows it, narrowed to what a HEAD of a checkout holds. */
const REF_NAME = /^refs\/(?:[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*\/)*[A-Za-z0-9_+@-][A-Za-z0-9._+@-]*$/;
const SMALL_FILE = 64 * 1024;
const PACKED_REFS_LIMIT = 32 * 1024 * 1024;

class Unreadable extends Error {}

/**
 * Reads the commit checked out in the Git working tree that holds `path`, **without running git**: it finds the
 * nearest `.git` directory (or `.git` file of a linked worktree) walking up from `path`, then reads `HEAD`, the
 * loose ref it names or `packed-refs`. Nothing configured by a repository (hooks, `core.fsmonitor`, filters,
 * `core.worktree`) can run, and a bare repository's files lying inside the policy directory are never taken for
 * the checkout: only an entry named `.git` counts. Symbolic links among the repository files, non-regular files,
 * oversized files and malformed refs are refused. Never throws; the result says whether a checkout was found.
 * Whether the files differ from the commit is not computed (that would need the index and object store).
 */
export async function readGitCommit(path: string): Promise<GitCommitResult> {
  let start: string;
  try {
    start = await realpath(path);
    if (!(await lstat(start)).isDirectory()) start = dirname(start);
  } catch {
    return { commit: null };
  }
  for (let dir = start; ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    const info = await lstat(dotGit).catch(() => undefined);
    if (info) {
      try {
        return { commit: await commitOf(dotGit, info.isDirectory(), info.isFile(), info.isSymbolicLink()) };
      } catch (error) {
        const reason = error instanceof Unreadable ? error.message : `${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`;
        return { commit: null, problem: `cannot read the Git commit of ${dir}: ${reason}` };
      }
    }
    if (dir === dirname(dir)) return { commit: null };
  }
}

async function commitOf(dotGit: string, isDirectory: boolean, isFile: boolean, isLink: boolean): Promise<string> {
  if (isLink) throw new Unreadable(`${dotGit} is a symbolic link; not followed`);
  let gitDir = dotGit;
  if (!isDirectory) {
    if (!isFile) throw new Unreadable(`${dotGit} is not a directory or a file`);
    const text = (await readSmall(dotGit)).trim();
    if (!text.startsWith('gitdir: ')) throw new Unreadable(`${dotGit} does not name a gitdir`);
    const target = text.slice('gitdir: '.length);
    gitDir = isAbsolute(target) ? target : resolve(dirname(dotGit), target);
  }
  const commonDir = await readOptional(join(gitDir, 'commondir')).then((text) => {
    if (text === undefined) return gitDir;
    const target = text.trim();
    return isAbsolute(target) ? target : resolve(gitDir, target);
  });
  let head = (await readSmall(join(gitDir, 'HEAD'))).trim();
  for (let hops = 0; hops < 5; hops += 1) {
    if (OBJECT_ID.test(head)) return head;
    if (!head.startsWith('ref: ')) throw new Unreadable('HEAD is neither a commit nor a ref');
    const ref = head.slice('ref: '.length).trim();
    if (!REF_NAME.test(ref) || ref.split('/').some((part) => part === '..' || part.endsWith('.lock'))) {
      throw new Unreadable('HEAD names a malformed ref');
    }
    const loose = (await readOptional(join(gitDir, ref))) ?? (gitDir === commonDir ? undefined : await readOptional(join(commonDir, ref)));
    if (loose !== undefined) {
      head = loose.trim();
      continue;
    }
    const packed = await packedRef(commonDir, ref);
    if (packed === undefined) throw new Unreadable(`${ref} has no commit yet`);
    head = packed;
  }
  throw new Unreadable('too many symbolic refs');
}

async function packedRef(commonDir: string, ref: string): Promise<string | undefined> {
  const text = await readOptional(join(commonDir, 'packed-refs'), PACKED_REFS_LIMIT);
  if (text === undefined) return undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    if (space > 0 && line.slice(space + 1).trim() === ref) return line.slice(0, space);
  }
  return undefined;
}

async function readOptional(file: string, limit = SMALL_FILE): Promise<string | undefined> {
  const info = await lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (!info) return undefined;
  return readSmall(file, limit);
}

/** A regular file (never a symbolic link, FIFO or device) of at most `limit` bytes. */
async function readSmall(file: string, limit = SMALL_FILE): Promise<string> {
  const info = await lstat(file);
  if (info.isSymbolicLink()) throw new Unreadable(`${file} is a symbolic link; not followed`);
  if (!info.isFile()) throw new Unreadable(`${file} is not a regular file`);
  if (info.size > limit) throw new Unreadable(`${file} is larger than ${limit} bytes`);
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(info.size);
    const { bytesRead } = await handle.read(buffer, 0, info.size, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
