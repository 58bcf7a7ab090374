import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyInputError } from '../src/policy-input-error.js';
import { readPolicySources } from '../src/policy-files.js';

let root = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'driftwatch-policy-files-'));
  await mkdir(join(root, 'tree', 'b', 'deeper'), { recursive: true });
  await mkdir(join(root, 'tree', '.git'), { recursive: true });
  await mkdir(join(root, 'empty', 'sub'), { recursive: true });
  await writeFile(join(root, 'tree', 'b', 'deeper', 'z.yml'), 'z');
  await writeFile(join(root, 'tree', 'b', 'a.json'), '{}');
  await writeFile(join(root, 'tree', 'a.yaml'), 'a');
  await writeFile(join(root, 'tree', 'B.YAML'), 'B');
  await writeFile(join(root, 'tree', 'notes.txt'), 'not a manifest');
  await writeFile(join(root, 'tree', '.git', 'config.yaml'), 'ignored');
  await writeFile(join(root, 'empty', 'sub', 'README.md'), 'no manifests here');
  await writeFile(join(root, 'single.txt'), 'any extension when named directly');
  await mkdir(join(root, 'dangling'));
  await symlink(join(root, 'nowhere.yaml'), join(root, 'dangling', 'gone.yaml'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const failure = async (path: string) => {
  const error = await readPolicySources(path).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(PolicyInputError);
  return error as PolicyInputError;
};

describe('readPolicySources', () => {
  it('reads every .yaml, .yml and .json file below a directory, sorted by path, skipping dot-directories', async () => {
    const sources = await readPolicySources(join(root, 'tree'));
    expect(sources.map((s) => s.name.slice(root.length + 1))).toEqual(['tree/B.YAML', 'tree/a.yaml', 'tree/b/a.json', 'tree/b/deeper/z.yml']);
    expect(sources.map((s) => s.text)).toEqual(['B', 'a', '{}', 'z']);
  });

  it('reads a file named directly, whatever its extension', async () => {
    expect(await readPolicySources(join(root, 'single.txt'))).toEqual([{ name: join(root, 'single.txt'), text: 'any extension when named directly' }]);
  });

  it('fails with exit code 2 for a missing path', async () => {
    const error = await failure(join(root, 'missing'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`cannot read ${join(root, 'missing')}: no such file or directory`);
  });

  it('fails for a directory without manifests', async () => {
    const error = await failure(join(root, 'empty'));
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`no policy manifests (.yaml, .yml, .json) under ${join(root, 'empty')}`);
  });

  it('fails for a file that cannot be read', async () => {
    const error = await failure(join(root, 'dangling'));
    expect(error.message).toBe(`cannot read ${join(root, 'dangling', 'gone.yaml')}: no such file or directory`);
  });
});
