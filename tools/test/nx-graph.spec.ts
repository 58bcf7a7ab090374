/**
 * Nx's project graph is real: it sees exactly the workspace dependencies the sources import (through the
 * `@driftwatch/<lib>` aliases), as tools/check-boundaries.mjs reads them. The import rules themselves are enforced
 * by check-boundaries (`npm run lint`); project.json files carry no tags, since nothing here would enforce them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types
import { importsOf } from '../check-boundaries.mjs';

const root = join(import.meta.dirname, '..', '..');

function* sources(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'generated' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sources(path);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

/** `from → to` project edges, read from the imports of every file of every app and lib. */
function importedEdges(): Set<string> {
  const edges = new Set<string>();
  for (const top of ['libs', 'apps']) {
    for (const project of readdirSync(join(root, top))) {
      const dir = join(root, top, project);
      if (!statSync(dir).isDirectory()) continue;
      for (const file of sources(dir)) {
        if (relative(dir, file).split(sep)[0] === 'bin') continue;
        for (const spec of importsOf(readFileSync(file, 'utf8')) as string[]) {
          const alias = /^@driftwatch\/([^/]+)/.exec(spec);
          if (alias && alias[1] !== project) edges.add(`${project} → ${alias[1]}`);
        }
      }
    }
  }
  return edges;
}

describe('the Nx project graph', () => {
  it('holds exactly the dependencies the sources import', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-nx-'));
    try {
      const file = join(dir, 'graph.json');
      execFileSync(process.execPath, [join(root, 'node_modules', '.bin', 'nx'), 'graph', `--file=${file}`], {
        cwd: root,
        env: { PATH: process.env['PATH'] ?? '', NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
        stdio: 'ignore',
      });
      const graph = JSON.parse(readFileSync(file, 'utf8')) as { graph: { dependencies: Record<string, { target: string }[]> } };
      const nxEdges = new Set<string>();
      for (const [from, deps] of Object.entries(graph.graph.dependencies)) {
        for (const dep of deps) if (!dep.target.startsWith('npm:')) nxEdges.add(`${from} → ${dep.target}`);
      }
      expect([...nxEdges].sort()).toEqual([...importedEdges()].sort());
      expect(nxEdges.size).toBeGreaterThan(10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('no project.json pretends to enforce rules with tags', () => {
    for (const top of ['libs', 'apps']) {
      for (const project of readdirSync(join(root, top))) {
        const file = join(root, top, project, 'project.json');
        try {
          expect(JSON.parse(readFileSync(file, 'utf8'))).not.toHaveProperty('tags');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    }
  });
});
