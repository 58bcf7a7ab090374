/**
 * The CLI over input it does not control (issues 7 and 11): broken or hostile policy directories, flows with
 * terminal escapes, oversized lines, a closed stdout. Each case spawns the real binary; the cases run side by side
 * (describe.concurrent), but the closed stdout's, which waits on a pipeline synchronously.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemPath } from '@driftwatch/config';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const bin = join(import.meta.dirname, '..', 'bin', 'driftwatch.js');
const shop = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop');
const policies = join(shop, 'policies');
const flowsFile = join(shop, 'flows.jsonl');
const root = mkdtempSync(join(tmpdir(), 'driftwatch-hostile-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A copy of the shop policies with the egress ipBlock of backend made invalid (0.0.0.0/40). */
function brokenPolicies(name: string): string {
  const dir = join(root, name);
  cpSync(policies, dir, { recursive: true });
  const file = join(dir, '50-backend.yaml');
  writeFileSync(file, readFileSync(file, 'utf8').replace('cidr: 0.0.0.0/0', 'cidr: 0.0.0.0/40'));
  return dir;
}

const CIDR_PROBLEM = (dir: string) =>
  `${join(dir, '50-backend.yaml')}:3:spec.egress[0].to[0].ipBlock.cidr: "0.0.0.0/40" is not a valid CIDR: prefix length must be a number from 0 to 32`;

function summary(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
}

/** No raw control character other than the newline. */
// eslint-disable-next-line no-control-regex -- the point of the test
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f]/;

describe.concurrent('a broken policy is bad input, not drift', () => {
  const broken = brokenPolicies('broken');

  it('evaluate exits 2 and names the problem before reading a flow', async ({ expect }) => {
    const run = await runCli(['evaluate', '--policies', broken, '--flows', flowsFile], {});
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`driftwatch evaluate: the declared policies under ${broken} have a problem: ${CIDR_PROBLEM(broken)}\n`);
  });

  it('evaluate --allow-invalid goes on without the broken object and says what was dropped', async ({ expect }) => {
    const run = await runCli(['evaluate', '--policies', broken, '--flows', flowsFile, '--allow-invalid'], {});
    expect(run.code).toBe(3);
    expect(run.stderr.split('\n').slice(0, 2)).toEqual([
      'policies: 1 object(s) with problems are left out (allowed by --allow-invalid):',
      `policy problem: ${CIDR_PROBLEM(broken)}`,
    ]);
    expect(summary(run.stdout)).toMatchObject({ flows: 16, allowed: 6, denied: 2, unexpected: 4 });
  });

  it('serve refuses to start on it (exit 2), with no flow source configured', async ({ expect }) => {
    const run = await runCli(['serve'], { POLICY_DIR: broken, PORT: '0', DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/never' });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`driftwatch serve: the declared policies under ${broken} have a problem: ${CIDR_PROBLEM(broken)}\n`);
  });

  it('lists several problems one per line', async ({ expect }) => {
    const dir = brokenPolicies('broken-twice');
    writeFileSync(join(dir, '90-bad.yaml'), 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\nspec: {}\n');
    const run = await runCli(['evaluate', '--policies', dir, '--flows', flowsFile], {});
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')).toEqual([
      `driftwatch evaluate: the declared policies under ${dir} have 2 problems:`,
      `  ${CIDR_PROBLEM(dir)}`,
      `  ${join(dir, '90-bad.yaml')}:1:spec.podSelector: is required; use {} to select every pod of the namespace`,
      '',
    ]);
  });
});

describe('a closed stdout', () => {
  it('ends `evaluate … | head -n 5` quietly: no EPIPE, no stack', () => {
    const lines = readFileSync(flowsFile, 'utf8').split('\n').filter((l) => l.trim() !== '');
    const many: string[] = [];
    for (let i = 0; i < 4000; i += 1) {
      for (const line of lines) many.push(line.replace(/"uuid":"([^"]+)"/, (_m, id: string) => `"uuid":"${id}-${i}"`));
    }
    const file = join(root, 'many.jsonl');
    writeFileSync(file, `${many.join('\n')}\n`);
    const result = spawnSync('bash', ['--norc', '--noprofile', '-c', `node "$0" evaluate --policies "$1" --flows "$2" | head -n 5; echo "status \${PIPESTATUS[0]}" >&2`, bin, policies, file], {
      encoding: 'utf8',
      env: { PATH: systemPath() },
      timeout: 60_000,
    });
    expect(result.stdout.trim().split('\n')).toHaveLength(5);
    expect(result.stderr).toBe('status 0\n');
  });
});

describe.concurrent('control characters from input never reach the terminal', () => {
  it('escapes a flows line holding ESC[2J ESC[31m … BEL in its error message', async ({ expect }) => {
    const hostile = '\u001b[2J\u001b[31m{"flow": "owned\u0007"}';
    const run = await runCli(['evaluate', '--policies', policies, '--flows', '-'], {}, 20_000, `${hostile}\n{"flow": {"uuid": "\u001b]0;title\u0007"}}\n`);
    expect(run.code).toBe(2);
    expect(run.stderr).not.toMatch(RAW_CONTROL);
    expect(run.stderr).toContain('stdin:1:');
    expect(run.stderr).toMatch(/\\x1b/);
  });

  it('escapes names, namespaces and label keys from YAML in validate and evaluate', async ({ expect }) => {
    const dir = join(root, 'escapes');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'evil.yaml'),
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: "\\e[2J\\e[31mowned\\a", namespace: "ns\\e[0m"}\nspec:\n  podSelector: {matchLabels: {"\\e]0;k\\a": v}}\n',
    );
    const validate = await runCli(['validate', '--policies', dir], {});
    expect(validate.code).toBe(1);
    expect(validate.stdout).not.toMatch(RAW_CONTROL);
    expect(validate.stdout).toContain('name "\\x1b[2J\\x1b[31mowned\\x07"');
    expect(validate.stdout).toContain('namespace "ns\\x1b[0m"');
    expect(validate.stdout).toContain('label key "\\x1b]0;k\\x07"');
    const evaluate = await runCli(['evaluate', '--policies', dir, '--flows', flowsFile], {});
    expect(evaluate.code).toBe(2);
    expect(evaluate.stderr).not.toMatch(RAW_CONTROL);
    expect(evaluate.stderr).toContain('\\x1b[2J');
  });
});

describe.concurrent('a policy directory can neither run commands nor hang or crash the loader', () => {
  it('never runs core.fsmonitor of a bare repository committed inside the policies', async ({ expect }) => {
    const checkout = join(root, 'checkout');
    const dir = join(checkout, 'policies');
    const marker = join(root, 'fsmonitor-ran');
    cpSync(policies, dir, { recursive: true });
    writeFileSync(join(dir, 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(dir, 'config'), `[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tworktree = .\n\tfsmonitor = "touch ${marker}; false"\n`);
    mkdirSync(join(dir, 'objects', 'info'), { recursive: true });
    mkdirSync(join(dir, 'refs', 'heads'), { recursive: true });
    writeFileSync(join(dir, 'objects', 'info', '.keep'), '');
    writeFileSync(join(dir, 'refs', 'heads', '.keep'), '');
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', '-c', 'commit.gpgsign=false', ...args], { cwd: checkout });
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'policies with a bare repository inside');
    const run = await runCli(['evaluate', '--policies', dir, '--flows', flowsFile], {});
    expect(run.code).toBe(3);
    expect(existsSync(marker)).toBe(false);
  });

  it('ends on symbolic link loops, a self-link and a FIFO, naming what it skipped', async ({ expect }) => {
    const dir = join(root, 'loops');
    cpSync(policies, dir, { recursive: true });
    symlinkSync('.', join(dir, 'loop1'));
    symlinkSync('.', join(dir, 'loop2'));
    symlinkSync('self.yaml', join(dir, 'self.yaml'));
    execFileSync('mkfifo', [join(dir, 'fifo.yaml')]);
    const run = await runCli(['evaluate', '--policies', dir, '--flows', flowsFile], {});
    expect(run.code).toBe(3);
    expect(run.stderr.split('\n').filter((l) => l !== '')).toEqual([
      `policies: skipped ${join(dir, 'fifo.yaml')}: not a regular file`,
      `policies: skipped ${join(dir, 'loop1')}: symbolic link loop: the directory ${dir} again`,
      `policies: skipped ${join(dir, 'loop2')}: symbolic link loop: the directory ${dir} again`,
      `policies: skipped ${join(dir, 'self.yaml')}: symbolic link loop`,
    ]);
    expect(summary(run.stdout)).toMatchObject({ flows: 16, allowed: 7, denied: 2, unexpected: 3 });
  });

  it('reports 2,000 nested List objects as a problem, not a stack overflow', async ({ expect }) => {
    const dir = join(root, 'nested');
    mkdirSync(dir);
    let json = '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"deep"}}';
    for (let i = 0; i < 2000; i += 1) json = `{"apiVersion":"v1","kind":"List","items":[${json}]}`;
    writeFileSync(join(dir, 'nested.json'), json);
    const validate = await runCli(['validate', '--policies', dir], {});
    expect(validate.code).toBe(1);
    expect(validate.stdout).toMatch(/^.*nested\.json:1:items\[0\](\.items\[0\]){15}: List objects nest more than 16 deep; its items are not read\n$/);
    const evaluate = await runCli(['evaluate', '--policies', dir, '--flows', flowsFile], {});
    expect(evaluate.code).toBe(2);
    expect(evaluate.stderr.split('\n')).toHaveLength(2);
    expect(evaluate.stderr).not.toContain('Maximum call stack');
  });

  it('refuses a policy file just over the 8 MiB limit with exit 2 and one line', async ({ expect }) => {
    const dir = join(root, 'big-policy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'big.yaml'), `# ${'x'.repeat(8 * 1024 * 1024 - 1)}`);
    const run = await runCli(['evaluate', '--policies', dir, '--flows', flowsFile], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`driftwatch evaluate: ${join(dir, 'big.yaml')} is larger than the limit of 8 MiB (${8 * 1024 * 1024 + 1} bytes)\n`);
  });

  it('refuses more than 50,000 documents with exit 2 and one line', async ({ expect }) => {
    const dir = join(root, 'many-documents');
    mkdirSync(dir);
    writeFileSync(join(dir, 'many.yaml'), '---\n'.repeat(50_001));
    const run = await runCli(['evaluate', '--policies', dir, '--flows', flowsFile], {}, 60_000);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `driftwatch evaluate: the declared policies under ${dir} have a problem: ${join(dir, 'many.yaml')}:50001: more than 50000 documents; this one and the rest are not read\n`,
    );
  });

  it('refuses a flows line just over the 16 MiB limit with exit 2 and one line', async ({ expect }) => {
    const file = join(root, 'long-line.jsonl');
    const first = readFileSync(flowsFile, 'utf8').split('\n')[0] ?? '';
    writeFileSync(file, `${first}\n{"flow": "${'x'.repeat(16 * 1024 * 1024)}"}\n`);
    const run = await runCli(['evaluate', '--policies', policies, '--flows', file], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`driftwatch evaluate: ${file}:2: line longer than 16 MiB; not read\n`);
  });
});

describe.concurrent('evaluate and explain say what they do', () => {
  it('evaluate --help says flows are de-duplicated by id', async ({ expect }) => {
    const run = await runCli(['evaluate', '--help'], {});
    expect(run.stdout).toMatch(/de-duplicated by id/);
    expect(run.stdout).toMatch(/"duplicates"/);
    expect(run.stdout).toMatch(/--allow-invalid/);
  });

  it('explain says first and plainly that an IP no pod carries is an external peer, and documents its exit codes', async ({ expect }) => {
    const run = await runCli(['explain', '--policies', policies, '--from', '10.244.1.11', '--to', 'shop/backend', '--port', '8080'], {});
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(
      `note: --from 10.244.1.11 matches no Pod in ${policies}, so it is treated as an external peer (only ipBlock rules apply to it)`,
    );
    const help = await runCli(['explain', '--help'], {});
    expect(help.stdout).toMatch(/Exit status: 0 when it answered \(whether the connection is allowed or denied\), 2 for bad input/);
  });
});
