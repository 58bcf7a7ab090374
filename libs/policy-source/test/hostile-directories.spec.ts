/**
 * A policy directory is often the checkout of a pull request: it can hold link loops, FIFOs, huge files and the
 * files of a bare Git repository. Reading it must end, stay bounded and never run anything.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '@driftwatch/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGitCommit } from '../src/git-commit.js';
import { InvalidPoliciesError, loadDeclaredPolicies } from '../src/declared-policies.js';
import { readPolicyFiles } from '../src/policy-files.js';
import { PolicyInputError } from '../src/policy-input-error.js';

const POLICY = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}}\n';
let root = '';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'driftwatch-hostile-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function dir(name: string, files: Record<string, string> = { 'a.yaml': POLICY }): Promise<string> {
  const path = join(root, name);
  await mkdir(path, { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(path, file, '..'), { recursive: true });
    await writeFile(join(path, file), text);
  }
  return path;
}

describe('readPolicyFiles on hostile directories', () => {
  it('ends on two symbolic links to "." and reads each file once, listing the loops', async () => {
    const path = await dir('two-links');
    await symlink('.', join(path, 'loop1'));
    await symlink('.', join(path, 'loop2'));
    const { sources, skipped } = await readPolicyFiles(path);
    expect(sources.map((s) => s.name)).toEqual([join(path, 'a.yaml')]);
    expect(skipped).toEqual([
      { path: join(path, 'loop1'), reason: `symbolic link loop: the directory ${path} again` },
      { path: join(path, 'loop2'), reason: `symbolic link loop: the directory ${path} again` },
    ]);
  });

  it('skips a link to itself and a second name of the same file', async () => {
    const path = await dir('self');
    await symlink('self.yaml', join(path, 'self.yaml'));
    await symlink('a.yaml', join(path, 'b.yaml'));
    const { sources, skipped } = await readPolicyFiles(path);
    expect(sources.map((s) => s.name)).toEqual([join(path, 'a.yaml')]);
    expect(skipped).toEqual([
      { path: join(path, 'b.yaml'), reason: `the same file as ${join(path, 'a.yaml')}` },
      { path: join(path, 'self.yaml'), reason: 'symbolic link loop' },
    ]);
  });

  it('skips a FIFO named *.yaml instead of waiting on it forever', async () => {
    const path = await dir('fifo');
    execFileSync('mkfifo', [join(path, 'pipe.yaml')]);
    const { sources, skipped } = await readPolicyFiles(path);
    expect(sources.map((s) => s.name)).toEqual([join(path, 'a.yaml')]);
    expect(skipped).toEqual([{ path: join(path, 'pipe.yaml'), reason: 'not a regular file' }]);
    const named = await readPolicyFiles(join(path, 'pipe.yaml')).catch((e: unknown) => e);
    expect(named).toBeInstanceOf(PolicyInputError);
    expect((named as Error).message).toBe(`cannot read ${join(path, 'pipe.yaml')}: not a regular file or directory`);
  });

  it.each([
    ['a file over the size limit', { maxFileBytes: 100 }, (p: string) => `${join(p, 'a.yaml')} is larger than the limit of 100 bytes (${POLICY.length} bytes)`],
    ['files over the total limit', { maxTotalBytes: 150 }, (p: string) => `the manifests under ${p} are larger than the limit of 150 bytes together`],
    ['too many files', { maxFiles: 1 }, (p: string) => `${p} holds 2 manifest files, more than the limit of 1`],
  ])('refuses %s with one line (PolicyInputError, exit 2)', async (_what, limits, message) => {
    const path = await dir(`limits-${Object.keys(limits)[0]}`, { 'a.yaml': POLICY, 'b.yaml': POLICY.replace('deny', 'other') });
    const error = await readPolicyFiles(path, limits).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyInputError);
    expect((error as PolicyInputError).exitCode).toBe(2);
    expect((error as Error).message).toBe(message(path));
  });
});

describe('loadDeclaredPolicies: is this declared set acceptable', () => {
  const broken = POLICY.replace('spec: {podSelector: {}}', 'spec: {podSelector: {}, ingress: [{from: [{ipBlock: {cidr: 0.0.0.0/40}}]}]}');

  it('refuses a set with any problem, listing it', async () => {
    const path = await dir('broken', { 'a.yaml': broken, 'b.yaml': POLICY.replace('deny', 'fine') });
    const error = await loadDeclaredPolicies(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPoliciesError);
    expect((error as InvalidPoliciesError).exitCode).toBe(2);
    expect((error as Error).message).toBe(
      `the declared policies under ${path} have a problem: ${join(path, 'a.yaml')}:1:spec.ingress[0].from[0].ipBlock.cidr: "0.0.0.0/40" is not a valid CIDR: prefix length must be a number from 0 to 32`,
    );
  });

  it('with allowInvalid, drops the objects with problems and says so', async () => {
    const path = join(root, 'broken');
    const logger = memoryLogger();
    const declared = await loadDeclaredPolicies(path, { logger, allowInvalid: true });
    expect(declared.loaded.policies.map((p) => p.name)).toEqual(['fine']);
    expect(logger.lines).toEqual([
      'warn: policies: 1 object(s) with problems are left out (allowed by --allow-invalid):',
      `warn: policy problem: ${join(path, 'a.yaml')}:1:spec.ingress[0].from[0].ipBlock.cidr: "0.0.0.0/40" is not a valid CIDR: prefix length must be a number from 0 to 32`,
    ]);
  });

  it('escapes control characters of names in the message', async () => {
    const path = await dir('escapes', { 'a.yaml': POLICY.replace('name: deny', 'name: "\\e[2J\\e[31mred\\a"') });
    const error = (await loadDeclaredPolicies(path).catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('name "\\x1b[2J\\x1b[31mred\\x07"');
    // eslint-disable-next-line no-control-regex -- the point of the test
    expect(error.message).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('accepts notes (they are not errors)', async () => {
    const path = await dir('notes', { 'a.yaml': `${POLICY}---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\n` });
    const declared = await loadDeclaredPolicies(path);
    expect(declared.loaded.notes.length).toBeGreaterThan(0);
  });
});

describe('the Git commit of a revision', () => {
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim();

  it('is read without running git, even from a directory holding the files of a bare repository with core.fsmonitor', async () => {
    const checkout = await dir('checkout', { 'README.md': 'x' });
    const marker = join(root, 'fsmonitor-ran');
    const evil = await dir('checkout/policies', {
      'a.yaml': POLICY,
      HEAD: 'ref: refs/heads/main\n',
      config: `[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n\tfsmonitor = "touch ${marker}; false"\n`,
      'objects/info/.keep': '',
      'refs/heads/.keep': '',
    });
    git(checkout, 'init', '-q', '-b', 'main');
    git(checkout, 'add', '-A');
    git(checkout, 'commit', '-q', '-m', 'policies');
    const head = git(checkout, 'rev-parse', 'HEAD');
    expect(await readGitCommit(evil)).toEqual({ commit: head });
    const declared = await loadDeclaredPolicies(evil);
    expect(declared.gitCommit).toBe(head);
    expect(existsSync(marker)).toBe(false);
  });

  it('reads a packed ref, and a linked worktree through its .git file', async () => {
    const main = await dir('packed', { 'a.yaml': POLICY });
    git(main, 'init', '-q', '-b', 'main');
    git(main, 'add', '-A');
    git(main, 'commit', '-q', '-m', 'one');
    git(main, 'pack-refs', '--all');
    const head = git(main, 'rev-parse', 'HEAD');
    expect(existsSync(join(main, '.git', 'refs', 'heads', 'main'))).toBe(false);
    expect(await readGitCommit(join(main, 'a.yaml'))).toEqual({ commit: head });
    const linked = join(root, 'linked');
    git(main, 'worktree', 'add', '-q', '-b', 'other', linked);
    expect(await readGitCommit(linked)).toEqual({ commit: head });
  });

  it('is null outside a checkout, and a checkout whose commit cannot be read is logged once', async () => {
    expect(await readGitCommit(root)).toEqual({ commit: null });
    const broken = await dir('broken-git', { 'a.yaml': POLICY, '.git/HEAD': 'ref: ../../etc/passwd\n' });
    expect(await readGitCommit(broken)).toEqual({ commit: null, problem: `cannot read the Git commit of ${broken}: HEAD names a malformed ref` });
    const logger = memoryLogger();
    await loadDeclaredPolicies(broken, { logger });
    await loadDeclaredPolicies(broken, { logger });
    expect(logger.lines).toEqual([
      `warn: policies: cannot read the Git commit of ${broken}: HEAD names a malformed ref; the revision is identified by its content hash alone`,
    ]);
  });

  it('does not follow a .git that is a symbolic link', async () => {
    const target = await dir('real-repo', { 'a.yaml': POLICY });
    git(target, 'init', '-q');
    const linked = await dir('linked-git', { 'a.yaml': POLICY });
    await symlink(join(target, '.git'), join(linked, '.git'));
    expect(await readGitCommit(linked)).toEqual({ commit: null, problem: `cannot read the Git commit of ${linked}: ${join(linked, '.git')} is a symbolic link; not followed` });
  });
});
