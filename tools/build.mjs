#!/usr/bin/env node
// Compiles the TypeScript of every app and lib (apps/*/src, libs/*/src; not libs/testing, not specs) to JavaScript
// beside it, in <project>/dist, with SWC: the same transform the source loader (apps/driftwatch/bin/ts-hooks.js)
// applies at run time, done once. Run by `npm ci` (postinstall), `npm run build`, `npm start` (prestart) and the
// app's test setup. Incremental: a file is compiled again only when its size or mtime changed, outputs of sources
// that are gone are removed, and a change of this script or of tsconfig.base.json compiles everything.
//
// Layout: libs/x/src/a/b.ts becomes libs/x/dist/a/b.js (+ .js.map): the same depth below the repository root, so
// paths the code computes from import.meta.dirname (migrations, protos, package.json) hold in both. Imports of
// workspace aliases (@driftwatch/x, tsconfig.base.json "paths") are rewritten to relative paths of the target's
// dist/index.js; relative imports (./x.js) need no change. Files under src that are not TypeScript (the live
// page's HTML, JS and CSS in libs/api/src/page/static) are copied to the same place under dist, so code that reads
// them beside itself (import.meta.dirname) finds them in both. apps/driftwatch/dist/build.json lists every input
// with its size and mtime: the executable runs the compiled code only when they all still match (see
// apps/driftwatch/bin/compiled.js), and the TypeScript sources otherwise.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile, version as swcVersion } from '@swc/core';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
/** Where the list of inputs is written, relative to the root (the executable reads it). */
export const MANIFEST = 'apps/driftwatch/dist/build.json';
/** Projects that production code never imports. */
const SKIPPED_PROJECTS = new Set(['libs/testing']);

const SWC_OPTIONS = {
  sourceMaps: true,
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    target: 'es2022',
    keepClassNames: true,
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
  },
  module: { type: 'es6' },
};

const posix = (path) => path.split(sep).join('/');

/** The compiled file of a source: `<project>/src/...ts` → `<project>/dist/...js`; an asset keeps its name. */
export function outputOf(source) {
  const output = source.replace(/^((?:apps|libs)\/[^/]+)\/src\//, '$1/dist/');
  return isTypeScript(source) ? output.replace(/\.ts$/, '.js') : output;
}

const isTypeScript = (path) => path.endsWith('.ts');

function* walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** Every source to compile (TypeScript) or copy (any other file), as root-relative posix paths. */
function sources(root) {
  const found = [];
  for (const top of ['apps', 'libs']) {
    if (!existsSync(join(root, top))) continue;
    for (const name of readdirSync(join(root, top))) {
      const project = `${top}/${name}`;
      const src = join(root, project, 'src');
      if (SKIPPED_PROJECTS.has(project) || !existsSync(src)) continue;
      for (const file of walk(src)) {
        const path = posix(relative(root, file));
        if (/\.(spec|test)\.ts$/.test(path) || path.endsWith('.d.ts')) continue;
        found.push(path);
      }
    }
  }
  return found.sort();
}

/** `@driftwatch/<lib>` → root-relative path of the compiled index, from tsconfig.base.json. */
function aliases(root) {
  const paths = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions.paths;
  return new Map(Object.entries(paths).map(([name, [target]]) => [name, outputOf(posix(target).replace(/^\.\//, ''))]));
}

const IMPORT_OF_ALIAS = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(@driftwatch\/[^'"]*)\2/g;

/** The compiled code with workspace aliases rewritten to relative paths; throws on an alias it does not know. */
export function rewriteAliases(code, outputFile, aliasMap) {
  return code.replace(IMPORT_OF_ALIAS, (_match, lead, quote, specifier) => {
    const target = aliasMap.get(specifier);
    if (!target) throw new Error(`${outputFile}: unknown workspace import ${specifier} (not in tsconfig.base.json paths)`);
    let path = posix(relative(dirname(outputFile), target));
    if (!path.startsWith('.')) path = `./${path}`;
    return `${lead}${quote}${path}${quote}`;
  });
}

function stamp(root, path) {
  const info = statSync(join(root, path));
  return { size: info.size, mtimeMs: info.mtimeMs };
}

function readManifest(root) {
  try {
    return JSON.parse(readFileSync(join(root, MANIFEST), 'utf8'));
  } catch {
    return undefined;
  }
}

/** Removes compiled files whose source is gone, and the folders left empty. */
function removeStale(root, outputs) {
  let removed = 0;
  const prune = (dir) => {
    let empty = true;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (prune(path)) rmSync(path, { recursive: true, force: true });
        else empty = false;
        continue;
      }
      const rel = posix(relative(root, path));
      const js = rel.endsWith('.js.map') ? rel.slice(0, -4) : rel;
      if (rel === MANIFEST || outputs.has(js)) empty = false;
      else {
        rmSync(path, { force: true });
        removed += 1;
      }
    }
    return empty;
  };
  for (const top of ['apps', 'libs']) {
    if (!existsSync(join(root, top))) continue;
    for (const name of readdirSync(join(root, top))) {
      const dist = join(root, top, name, 'dist');
      if (existsSync(dist) && statSync(dist).isDirectory() && prune(dist)) rmSync(dist, { recursive: true, force: true });
    }
  }
  return removed;
}

/**
 * Compiles what changed since the last build. Resolves to what it did; rejects (naming the file) when SWC
 * cannot compile a source, and then leaves no manifest, so the executable keeps running the sources.
 */
export async function build({ root = ROOT, force = false } = {}) {
  const started = performance.now();
  const files = sources(root);
  if (files.length === 0) return { compiled: 0, removed: 0, total: 0, ms: 0, nothing: true };
  const builder = createHash('sha256').update(readFileSync(fileURLToPath(import.meta.url))).update(swcVersion).digest('hex').slice(0, 16);
  const previous = readManifest(root);
  const tsconfig = stamp(root, 'tsconfig.base.json');
  const same = (a, b) => a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs;
  const everything = force || previous?.builder !== builder || !same(previous?.inputs?.['tsconfig.base.json'], tsconfig);
  const aliasMap = aliases(root);
  const inputs = { 'tsconfig.base.json': tsconfig };
  const todo = [];
  for (const file of files) {
    inputs[file] = stamp(root, file);
    if (everything || !same(previous?.inputs?.[file], inputs[file]) || !existsSync(join(root, outputOf(file)))) todo.push(file);
  }
  rmSync(join(root, MANIFEST), { force: true });
  await Promise.all(
    todo.map(async (file) => {
      const output = outputOf(file);
      if (!isTypeScript(file)) {
        mkdirSync(join(root, dirname(output)), { recursive: true });
        copyFileSync(join(root, file), join(root, output));
        return;
      }
      let result;
      try {
        result = await transformFile(join(root, file), { ...SWC_OPTIONS, filename: join(root, file) });
      } catch (error) {
        throw new Error(`cannot compile ${file}: ${String(error?.message ?? error).split('\n').find((l) => l.trim() !== '') ?? error}`, { cause: error });
      }
      const map = JSON.parse(result.map);
      map.sources = [posix(relative(dirname(output), file))];
      map.file = output.slice(output.lastIndexOf('/') + 1);
      const code = `${rewriteAliases(result.code, output, aliasMap)}\n//# sourceMappingURL=${map.file}.map\n`;
      mkdirSync(join(root, dirname(output)), { recursive: true });
      writeFileSync(join(root, output), code);
      writeFileSync(join(root, `${output}.map`), JSON.stringify(map));
    }),
  );
  const removed = removeStale(root, new Set(files.map(outputOf)));
  mkdirSync(join(root, dirname(MANIFEST)), { recursive: true });
  writeFileSync(join(root, MANIFEST), `${JSON.stringify({ builder, inputs }, null, 0)}\n`);
  return { compiled: todo.length, removed, total: files.length, ms: Math.round(performance.now() - started), nothing: false };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const quiet = args.includes('--quiet');
  try {
    const result = await build({ force: args.includes('--force') });
    if (result.nothing) process.stdout.write('build: no sources yet (apps/*/src, libs/*/src); nothing to compile\n');
    else if (!quiet || result.compiled > 0) {
      process.stdout.write(`build: compiled ${result.compiled} of ${result.total} files to <project>/dist in ${result.ms} ms${result.removed ? `, removed ${result.removed} stale` : ''}\n`);
    }
  } catch (error) {
    process.stderr.write(`build: ${error.message}\n`);
    process.exit(1);
  }
}
