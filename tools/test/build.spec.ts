import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript tool without type declarations
import { build, rewriteAliases } from '../build.mjs';
// @ts-expect-error: plain JavaScript module of the executable, without type declarations
import { compiledBuild } from '../../apps/driftwatch/bin/compiled.js';

type BuildResult = { compiled: number; removed: number; total: number };
const runBuild = build as (options: { root: string; force?: boolean }) => Promise<BuildResult>;
const freshness = compiledBuild as (root: string) => { fresh: boolean; reason?: string; entry?: string };
let root: string | undefined;

/** A small workspace: an app importing a lib by its alias, a spec and libs/testing (neither compiled). */
function workspace(): string {
  root = mkdtempSync(join(tmpdir(), 'driftwatch-build-'));
  const files: Record<string, string> = {
    'tsconfig.base.json': JSON.stringify({
      compilerOptions: { paths: { '@driftwatch/greet': ['./libs/greet/src/index.ts'], '@driftwatch/testing': ['./libs/testing/src/index.ts'] } },
    }),
    'libs/greet/src/index.ts': "export { greet } from './words/greet.js';\nexport type { Name } from './words/greet.js';\n",
    'libs/greet/src/words/greet.ts': "export type Name = string;\nexport function greet(name: Name): string {\n  return `hello ${name}`;\n}\n",
    'libs/greet/src/words/greet.spec.ts': "throw new Error('a spec is never compiled');\n",
    'libs/testing/src/index.ts': 'export const fixture = 1;\n',
    'apps/driftwatch/src/main.ts':
      "import { greet, type Name } from '@driftwatch/greet';\nconst who: Name = 'world';\nconst { greet: again } = await import('@driftwatch/greet');\nconsole.log(greet(who), again === greet);\n",
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** Moves a file's mtime (as an edit would) without changing its content. */
function touch(path: string): void {
  const later = new Date(statSync(path).mtimeMs + 5000);
  utimesSync(path, later, later);
}

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('tools/build.mjs', () => {
  it('compiles src to dist at the same depth, rewrites workspace aliases, and the result runs', async () => {
    const dir = workspace();
    expect(await runBuild({ root: dir })).toMatchObject({ compiled: 3, total: 3 });
    expect(existsSync(join(dir, 'libs/greet/dist/words/greet.js'))).toBe(true);
    expect(existsSync(join(dir, 'libs/greet/dist/words/greet.spec.js'))).toBe(false);
    expect(existsSync(join(dir, 'libs/testing/dist'))).toBe(false);
    const main = readFileSync(join(dir, 'apps/driftwatch/dist/main.js'), 'utf8');
    expect(main).toContain("from '../../../libs/greet/dist/index.js'");
    expect(main).toContain("import('../../../libs/greet/dist/index.js')");
    expect(main).not.toContain('@driftwatch/');
    const map = JSON.parse(readFileSync(join(dir, 'libs/greet/dist/words/greet.js.map'), 'utf8')) as { sources: string[] };
    expect(map.sources).toEqual(['../../src/words/greet.ts']);
    expect(execFileSync(process.execPath, [join(dir, 'apps/driftwatch/dist/main.js')], { encoding: 'utf8' })).toBe('hello world true\n');
  });

  it('compiles again only what changed, and removes the output of a source that is gone', async () => {
    const dir = workspace();
    await runBuild({ root: dir });
    expect(await runBuild({ root: dir })).toMatchObject({ compiled: 0 });
    touch(join(dir, 'libs/greet/src/words/greet.ts'));
    expect(await runBuild({ root: dir })).toMatchObject({ compiled: 1 });
    writeFileSync(join(dir, 'libs/greet/src/index.ts'), "export const greet = (name: string) => `hi ${name}`;\n");
    rmSync(join(dir, 'libs/greet/src/words/greet.ts'));
    expect(await runBuild({ root: dir })).toMatchObject({ compiled: 1, removed: 2, total: 2 });
    expect(existsSync(join(dir, 'libs/greet/dist/words'))).toBe(false);
    touch(join(dir, 'tsconfig.base.json'));
    expect(await runBuild({ root: dir })).toMatchObject({ compiled: 2 }); // the aliases may have changed: everything
  });

  it('copies files under src that are not TypeScript (the live page\'s static files) beside the compiled code, and follows their changes', async () => {
    const dir = workspace();
    const page = join(dir, 'libs/greet/src/page/static');
    mkdirSync(page, { recursive: true });
    writeFileSync(join(page, 'index.html'), '<p>hi</p>\n');
    writeFileSync(join(page, 'app.js'), "console.log('not compiled: as it is');\n");
    expect(await runBuild({ root: dir })).toMatchObject({ compiled: 5, total: 5 });
    expect(readFileSync(join(dir, 'libs/greet/dist/page/static/index.html'), 'utf8')).toBe('<p>hi</p>\n');
    expect(readFileSync(join(dir, 'libs/greet/dist/page/static/app.js'), 'utf8')).toBe("console.log('not compiled: as it is');\n");
    expect(existsSync(join(dir, 'libs/greet/dist/page/static/app.js.map'))).toBe(false);
    writeFileSync(join(page, 'index.html'), '<p>hello</p>\n');
    expect(freshness(dir)).toMatchObject({ fresh: false, reason: 'libs/greet/src/page/static/index.html changed since the last build' });
    expect(await runBuild({ root: dir })).toMatchObject({ compiled: 1 });
    expect(readFileSync(join(dir, 'libs/greet/dist/page/static/index.html'), 'utf8')).toBe('<p>hello</p>\n');
    rmSync(join(page, 'app.js'));
    expect(await runBuild({ root: dir })).toMatchObject({ compiled: 0, removed: 1 });
    expect(existsSync(join(dir, 'libs/greet/dist/page/static/app.js'))).toBe(false);
  });

  it('names the file SWC cannot compile, and leaves no manifest, so the executable keeps running the sources', async () => {
    const dir = workspace();
    await runBuild({ root: dir });
    writeFileSync(join(dir, 'libs/greet/src/words/greet.ts'), 'export function (\n');
    await expect(runBuild({ root: dir })).rejects.toThrow(/^cannot compile libs\/greet\/src\/words\/greet\.ts: /);
    expect(freshness(dir)).toEqual({ fresh: false, reason: 'no compiled build' });
  });

  it('refuses a workspace import that tsconfig.base.json does not name', () => {
    expect(() => rewriteAliases('import { x } from "@driftwatch/nope";', 'libs/a/dist/b.js', new Map())).toThrow('libs/a/dist/b.js: unknown workspace import @driftwatch/nope');
  });
});

describe('the executable\'s freshness check (apps/driftwatch/bin/compiled.js)', () => {
  it('is fresh after a build, and stale, naming the file, once a source changes or disappears', async () => {
    const dir = workspace();
    expect(freshness(dir)).toEqual({ fresh: false, reason: 'no compiled build' });
    await runBuild({ root: dir });
    expect(freshness(dir)).toMatchObject({ fresh: true, entry: expect.stringMatching(/^file:.*\/apps\/driftwatch\/dist\/main\.js$/) });
    touch(join(dir, 'libs/greet/src/words/greet.ts'));
    expect(freshness(dir)).toEqual({ fresh: false, reason: 'libs/greet/src/words/greet.ts changed since the last build' });
    await runBuild({ root: dir });
    rmSync(join(dir, 'apps/driftwatch/src/main.ts'));
    expect(freshness(dir)).toEqual({ fresh: false, reason: 'apps/driftwatch/src/main.ts is gone since the last build' });
  });
});
