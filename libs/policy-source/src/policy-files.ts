import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PolicyInputError } from './policy-input-error.js';

/** A manifest text and the path it was read from (the name problems are reported under). */
export interface PolicySource {
  readonly name: string;
  readonly text: string;
}

const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

/**
 * Reads the manifests under `path` for `loadManifests`: the file itself, or every `.yaml`, `.yml` and `.json` file
 * below the directory (recursively, skipping dot-directories such as `.git`), sorted by path so that a revision
 * reads the same everywhere. Names are `path` joined with the file's place below it.
 *
 * @throws PolicyInputError when the path does not exist or cannot be read, or a directory holds no manifest.
 */
export async function readPolicySources(path: string): Promise<PolicySource[]> {
  const files = await listFiles(path, MANIFEST_EXTENSIONS, 'policy manifests');
  return Promise.all(files.map(async (name) => ({ name, text: await readText(name) })));
}

/**
 * The file at `path`, or every file below the directory whose name ends with one of `extensions`, sorted by
 * path (code-unit order, not locale). Shared by the commands that take files or directories.
 *
 * @throws PolicyInputError for a missing or unreadable path, or a directory without matching files.
 */
export async function listFiles(path: string, extensions: readonly string[], what: string): Promise<string[]> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new PolicyInputError(`cannot read ${path}: ${reason(error)}`);
  });
  if (!info.isDirectory()) return [path];
  const found: string[] = [];
  await walk(path, extensions, found);
  if (found.length === 0) throw new PolicyInputError(`no ${what} (${extensions.join(', ')}) under ${path}`);
  return found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

async function walk(directory: string, extensions: readonly string[], found: string[]): Promise<void> {
  const entries = await readdir(directory, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new PolicyInputError(`cannot read ${directory}: ${reason(error)}`);
  });
  for (const entry of entries) {
    const full = join(directory, entry.name);
    const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && (await stat(full).catch(() => undefined))?.isDirectory());
    if (isDirectory) {
      if (!entry.name.startsWith('.')) await walk(full, extensions, found);
    } else if (extensions.some((ext) => entry.name.toLowerCase().endsWith(ext))) {
      found.push(full);
    }
  }
}

async function readText(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PolicyInputError(`cannot read ${file}: ${reason(error)}`);
  });
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
    default:
      return error.code ?? error.message;
  }
}
