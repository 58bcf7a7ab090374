// Whether the compiled JavaScript (tools/build.mjs, in <project>/dist) matches the TypeScript sources: every input
// the build listed in apps/driftwatch/dist/build.json still has the size and mtime it had when it was compiled.
// Costs one stat per source (a few ms); reads nothing else.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The repository root (this file is apps/driftwatch/bin/compiled.js). */
export const ROOT = join(import.meta.dirname, '..', '..', '..');

/**
 * `{ fresh: true, entry }` (the URL of the compiled main.js) when the build is complete and up to date, else
 * `{ fresh: false, reason }` saying why in a few words (no build, or the first source that changed).
 */
export function compiledBuild(root = ROOT) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, 'apps', 'driftwatch', 'dist', 'build.json'), 'utf8'));
  } catch {
    return { fresh: false, reason: 'no compiled build' };
  }
  const inputs = Object.entries(manifest?.inputs ?? {});
  if (inputs.length === 0) return { fresh: false, reason: 'no compiled build' };
  for (const [path, built] of inputs) {
    let now;
    try {
      now = statSync(join(root, path));
    } catch {
      return { fresh: false, reason: `${path} is gone since the last build` };
    }
    if (now.size !== built.size || now.mtimeMs !== built.mtimeMs) return { fresh: false, reason: `${path} changed since the last build` };
  }
  return { fresh: true, entry: pathToFileURL(join(root, 'apps', 'driftwatch', 'dist', 'main.js')).href };
}
