import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: plain JavaScript tool without type declarations
import { checkBoundaries, importsOf } from '../check-boundaries.mjs';

const check = checkBoundaries as (root: string) => string[];
let root: string | undefined;

function tree(files: Record<string, string>): string {
  root = mkdtempSync(join(tmpdir(), 'boundaries-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

afterEach(() => {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

describe('check-boundaries', () => {
  it('passes on this repository', () => {
    expect(check(join(import.meta.dirname, '..', '..'))).toEqual([]);
  });

  it.each([
    ['libs/policy-engine/src/a.ts', "import { readFileSync } from 'node:fs';", 'must stay pure'],
    ['libs/policy-engine/src/a.ts', "import { Injectable } from '@nestjs/common';", 'must stay pure'],
    ['libs/policy-engine/src/a.ts', "import type { Flow } from '@driftwatch/flow';", 'imports no other workspace lib'],
    ['libs/flow/src/a.ts', "import pg from 'pg';", 'only libs/persistence may import'],
    ['libs/api/src/a.ts', "import { PrismaClient } from '@prisma/client';", 'only libs/persistence may import'],
    ['apps/driftwatch/src/a.ts', "const m = await import('postgres');", 'only libs/persistence may import'],
    ['libs/api/src/a.ts', "import { x } from '@driftwatch/collector';", 'feature libs do not import each other'],
    ['libs/persistence/src/a.ts', "import { x } from '@driftwatch/api';", 'may not import libs/api'],
    ['libs/flow/src/a.ts', "import { x } from '@driftwatch/policy-engine/src/cache.js';", 'not a deep path'],
    ['libs/flow/src/a.ts', "import { x } from '../../policy-engine/src/index.js';", 'relative import out of its room'],
    ['libs/api/src/a.ts', "import { fakeRelay } from '@driftwatch/testing';", 'only tests and benchmarks import libs/testing'],
    ['libs/demo/src/a.ts', "import { Prng } from '@driftwatch/testing';", 'only tests and benchmarks import libs/testing'],
    ['libs/collector/src/a.ts', "import { DemoHubbleServer } from '@driftwatch/demo';", 'may not import libs/demo'],
  ])('flags %s importing: %s', (file, source, message) => {
    const problems = check(tree({ [file]: `${source}\nexport const a = 1;\n` }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(file);
    expect(problems[0]).toContain(message);
  });

  it('allows imports that point down the chain, and tests of the engine may use node:fs', () => {
    const problems = check(
      tree({
        'libs/flow/src/a.ts': "import { compileRevision } from '@driftwatch/policy-engine';",
        'libs/collector/src/a.ts': "import { x } from '@driftwatch/persistence';\nimport { y } from '@driftwatch/flow';",
        'libs/persistence/src/a.ts': "import pg from 'pg';\nimport { loadConfig } from '@driftwatch/config';",
        'libs/policy-engine/test/a.spec.ts': "import { readFileSync } from 'node:fs';",
        'libs/collector/test/a.spec.ts': "import { fakeRelay } from '@driftwatch/testing';",
        'apps/driftwatch/src/a.ts': "import { x } from '@driftwatch/api';\nimport { y } from './b.js';",
        'libs/demo/src/a.ts': "import { loadHubbleApi } from '@driftwatch/collector';\nimport { Prng } from '@driftwatch/common';",
      }),
    );
    expect(problems).toEqual([]);
  });

  it('reads static, dynamic, side-effect and re-export imports', () => {
    expect(importsOf("import a from 'a';\nexport { b } from 'b';\nimport 'c';\nawait import('d');\nimport type { E } from 'e';")).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
    ]);
  });
});
