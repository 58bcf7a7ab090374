/**
 * ARCHITECTURE.md §4: the policy engine is pure. Its sources import only each other and the `yaml` parser:
 * no node: modules (no I/O), no other workspace lib, no framework, database, gRPC or socket.io.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');
const ALLOWED_PACKAGES = new Set(['yaml']);

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [full] : [];
  });
}

function importsOf(text: string): string[] {
  const specifiers = [...text.matchAll(/\b(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g), ...text.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g), ...text.matchAll(/\bimport\s+['"]([^'"]+)['"]/g), ...text.matchAll(/\brequire\s*\(\s*['"]([^'"]+)['"]/g)];
  return specifiers.map((m) => m[1] as string);
}

describe('policy-engine boundaries', () => {
  const files = sourceFiles(SRC);

  it('finds the sources', () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it('imports nothing but its own files and the yaml parser', () => {
    const offending = files.flatMap((file) =>
      importsOf(readFileSync(file, 'utf8'))
        .filter((specifier) => !specifier.startsWith('./') && !specifier.startsWith('../') && !ALLOWED_PACKAGES.has(specifier))
        .map((specifier) => `${relative(SRC, file)} imports ${specifier}`),
    );
    expect(offending).toEqual([]);
  });

  it('uses no process, timers or global I/O either', () => {
    const offending = files.filter((file) => /\b(process\.|setTimeout|setInterval|fetch\(|require\()/.test(readFileSync(file, 'utf8'))).map((f) => relative(SRC, f));
    expect(offending).toEqual([]);
  });

  it('detects a forbidden import (the check can fail)', () => {
    // Assembled from parts, so that this file itself holds no such import for the repository's own checks to flag.
    const sample = ['im', "port { readFile } from 'node:fs';\nex", "port * from '@driftwatch/flow';\nconst x = await im", "port('pg');"].join('');
    expect(importsOf(sample)).toEqual(['node:fs', '@driftwatch/flow', 'pg']);
  });
});
