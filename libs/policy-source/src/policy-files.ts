import { constants, type Stats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { printable } from '@driftwatch/common';
import { PolicyInputError } from './policy-input-error.js';

/** A manifest text and the path it was read from (the name problems are reported under). */
export interface PolicySource {
  readonly name: string;
  readonly text: string;
}

/** A file or directory left out while reading, and why (symbolic link loop, not a regular file, read twice). */
export interface SkippedPath {
  readonly path: string;
  readonly reason: string;
}

/** Bounds on what a policy directory may hold; each one exceeded is a PolicyInputError (exit 2, one line). */
export interface PolicyFileLimits {
  /** Largest manifest file, in bytes (default 8 MiB). */
  readonly maxFileBytes?: number;
  /** All manifests together, in bytes (default 64 MiB). */
  readonly maxTotalBytes?: number;
  /** Number of manifest files (default 10,000). */
  readonly maxFiles?: number;
}

/** The manifests read from a path, and what was left out. */
export interface PolicyFiles {
  readonly sources: PolicySource[];
  readonly skipped: SkippedPath[];
}

export const DEFAULT_POLICY_FILE_LIMITS: Required<PolicyFileLimits> = {
  maxFileBytes: 8 * 1024 * 1024,
  maxTotalBytes: 64 * 1024 * 1024,
  maxFiles: 10_000,
};

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

/**
 * Reads the manifests under `path` for `loadManifests`: the file itself, or every `.yaml`, `.yml` and `.json` file
 * below the directory (recursively, skipping dot-directories such as `.git`), sorted by path so that a revision
 * reads the same everywhere. Names are `path` joined with the file's place below it. Symbolic links are followed
 * once: a directory reached twice (a link loop such as `a -> .`), a file reached twice, and anything that is not a
 * regular file (a FIFO, a socket, a device) are skipped and listed in `skipped`, never read.
 *
 * @throws PolicyInputError when the path does not exist or cannot be read, a directory holds no manifest, or a
 *   limit of `limits` is exceeded.
 */
export async function readPolicyFiles(path: string, limits: PolicyFileLimits = {}): Promise<PolicyFiles> {
  const bounds = { ...DEFAULT_POLICY_FILE_LIMITS, ...limits };
  const skipped: SkippedPath[] = [];
  const files = await listFiles(path, MANIFEST_EXTENSIONS, 'policy manifests', skipped);
  if (files.length > bounds.maxFiles) {
    throw new PolicyInputError(`${printable(path)} holds ${files.length} manifest files, more than the limit of ${bounds.maxFiles}`);
  }
  const sources: PolicySource[] = [];
  let total = 0;
  for (const name of files) {
    const text = await readText(name, bounds.maxFileBytes);
    total += Buffer.byteLength(text);
    if (total > bounds.maxTotalBytes) {
      throw new PolicyInputError(`the manifests under ${printable(path)} are larger than the limit of ${bytes(bounds.maxTotalBytes)} together`);
    }
    sources.push({ name, text });
  }
  return { sources, skipped };
}

/** The manifests under `path`, without the list of what was skipped (see {@link readPolicyFiles}). */
export async function readPolicySources(path: string, limits: PolicyFileLimits = {}): Promise<PolicySource[]> {
  return (await readPolicyFiles(path, limits)).sources;
}

/**
 * The file at `path`, or every file below the directory whose name ends with one of `extensions`, sorted by
 * path (code-unit order, not locale). Shared by the commands that take files or directories. Link loops,
 * files reached twice and non-regular files are skipped (and pushed to `skipped` when given).
 *
 * @throws PolicyInputError for a missing or unreadable path, a path that is not a regular file or directory, or a
 *   directory without matching files.
 */
export async function listFiles(path: string, extensions: readonly string[], what: string, skipped: SkippedPath[] = []): Promise<string[]> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new PolicyInputError(`cannot read ${printable(path)}: ${reason(error)}`);
  });
  if (!info.isDirectory()) {
    if (!info.isFile()) throw new PolicyInputError(`cannot read ${printable(path)}: not a regular file or directory`);
    return [path];
  }
  const found: string[] = [];
  await walk(path, info, extensions, { found, skipped, seen: new Map(), files: new Map() });
  if (found.length === 0) throw new PolicyInputError(`no ${what} (${extensions.join(', ')}) under ${printable(path)}`);
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

interface WalkState {
  readonly found: string[];
  readonly skipped: SkippedPath[];
  /** Directories already walked, by device and inode, with the path they were first reached by. */
  readonly seen: Map<string, string>;
  /** Files already listed, by device and inode. */
  readonly files: Map<string, string>;
}

const identity = (info: Stats) => `${info.dev}:${info.ino}`;

async function walk(directory: string, info: Stats, extensions: readonly string[], state: WalkState): Promise<void> {
  const first = state.seen.get(identity(info));
  if (first !== undefined) {
    state.skipped.push({ path: directory, reason: `symbolic link loop: the directory ${first} again` });
    return;
  }
  state.seen.set(identity(info), directory);
  const entries = await readdir(directory, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new PolicyInputError(`cannot read ${printable(directory)}: ${reason(error)}`);
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = join(directory, entry.name);
    const matches = extensions.some((ext) => entry.name.toLowerCase().endsWith(ext));
    if (entry.isDirectory() || entry.isSymbolicLink()) {
      const target = await stat(full).catch((error: NodeJS.ErrnoException) => error);
      if (target instanceof Error) {
        if (target.code === 'ELOOP') state.skipped.push({ path: full, reason: 'symbolic link loop' });
        else if (matches) throw new PolicyInputError(`cannot read ${printable(full)}: ${reason(target)}`);
        continue;
      }
      if (target.isDirectory()) {
        if (!entry.name.startsWith('.')) await walk(full, target, extensions, state);
        continue;
      }
      if (matches) addFile(full, target, state);
    } else if (matches) {
      if (entry.isFile()) addFile(full, await stat(full), state);
      else state.skipped.push({ path: full, reason: 'not a regular file' });
    }
  }
}

function addFile(path: string, info: Stats, state: WalkState): void {
  if (!info.isFile()) {
    state.skipped.push({ path, reason: 'not a regular file' });
    return;
  }
  const first = state.files.get(identity(info));
  if (first !== undefined) {
    state.skipped.push({ path, reason: `the same file as ${first}` });
    return;
  }
  state.files.set(identity(info), path);
  state.found.push(path);
}

/** Reads a regular file of at most `limit` bytes; never blocks on a FIFO that replaced it meanwhile. */
async function readText(file: string, limit: number): Promise<string> {
  const fail = (error: NodeJS.ErrnoException): never => {
    throw new PolicyInputError(`cannot read ${printable(file)}: ${reason(error)}`);
  };
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch(fail);
  try {
    const info = await handle.stat().catch(fail);
    if (!info.isFile()) throw new PolicyInputError(`cannot read ${printable(file)}: not a regular file`);
    if (info.size > limit) throw new PolicyInputError(`${printable(file)} is larger than the limit of ${bytes(limit)} (${info.size} bytes)`);
    // Sized by what stat said, read to the end: a file that grows meanwhile is still held to the limit.
    const chunks: Buffer[] = [];
    let length = 0;
    for (let size = Math.min(info.size, limit) + 1; ; size = Math.min(64 * 1024, limit + 1 - length) || 1) {
      const buffer = Buffer.alloc(size);
      const { bytesRead } = await handle.read(buffer, 0, size, length).catch(fail);
      if (bytesRead === 0) break;
      chunks.push(buffer.subarray(0, bytesRead));
      length += bytesRead;
      if (length > limit) throw new PolicyInputError(`${printable(file)} is larger than the limit of ${bytes(limit)}`);
    }
    return Buffer.concat(chunks, length).toString('utf8');
  } finally {
    await handle.close();
  }
}

function bytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

function reason(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'symbolic link loop';
    default:
      return error.code ?? error.message;
  }
}
