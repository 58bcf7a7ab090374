import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemPath } from '@driftwatch/config';
import { unusedPort } from '@driftwatch/testing';
import { afterAll, describe, it } from 'vitest';

// The container runs Driftwatch as a non-root user; without DATABASE_URL it starts the embedded PostgreSQL as that
// user. Here the real CLI drops to `nobody` (setpriv, no Docker) and does exactly that. Dropping privileges
// needs root and setpriv: elsewhere the suite says why it skips.

const bin = join(import.meta.dirname, '..', 'bin', 'driftwatch.js');
const nobody = spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' });
const nobodyUid = Number(nobody.stdout.trim());
const nobodyGid = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout.trim());
const setpriv = spawnSync('setpriv', ['--version']).status === 0;
/** Whether `nobody` can run this Node on this checkout (not when it was cloned below a private folder such as /root). */
const nobodyReaches = () =>
  spawnSync('setpriv', [`--reuid=${nobodyUid}`, `--regid=${nobodyGid}`, '--clear-groups', process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(bin)})`]).status === 0;
const skip =
  process.getuid?.() !== 0
    ? 'needs root to drop to another user'
    : !setpriv
      ? 'needs setpriv (util-linux)'
      : nobody.status !== 0
        ? 'needs a "nobody" user'
        : !nobodyReaches()
          ? '"nobody" cannot read this checkout or this Node'
          : undefined;

/** A uid with no /etc/passwd entry, like `docker run --user 54321`. */
const unknownUid = [54321, 54322, 61234].find((uid) => spawnSync('id', [String(uid)]).status !== 0);

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** The real `driftwatch` as another user, with only the variables given (and PATH, HOME). */
function runAs(uid: number, gid: number, args: string[], env: Record<string, string>, cwd: string) {
  const child = spawn('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', process.execPath, bin, ...args], {
    env: { PATH: systemPath(), HOME: '/tmp', LOG_LEVEL: 'log', ...env },
    cwd,
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
  const exited = new Promise<Run>((resolve) => child.on('exit', (code) => resolve({ code, output })));
  return { output: () => output, exited, stop: () => (child.kill('SIGTERM'), exited) };
}

// Each test has a data folder and ports of its own: side by side.
describe.skipIf(skip !== undefined).concurrent(`the embedded PostgreSQL as a non-root user${skip ? ` (skipped: ${skip})` : ''}`, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'driftwatch-nonroot-'));
  chmodSync(scratch, 0o755);
  const cleanup: string[] = [scratch];
  afterAll(() => cleanup.forEach((path) => rmSync(path, { recursive: true, force: true })));

  /** The environment of a run with no PostgreSQL to find: the embedded one is the only choice. */
  async function embeddedEnv(dataDir: string): Promise<Record<string, string>> {
    return {
      DATABASE_PROBE_URL: `postgresql://postgres@127.0.0.1:${await unusedPort()}/postgres`,
      EMBEDDED_POSTGRES_DIR: dataDir,
      EMBEDDED_POSTGRES_PORT: String(await unusedPort()),
      // readable lines (the log is JSON when stderr is not a terminal): the assertions read the words
      LOG_FORMAT: 'text',
    };
  }

  it('serve: initialises its data in a volume the user owns, answers health, and restarts on that data', async ({ expect }) => {
    const volume = join(scratch, 'volume');
    mkdirSync(volume, { mode: 0o755 });
    chownSync(volume, nobodyUid, nobodyGid);
    const dataDir = join(volume, 'postgres');
    const env: Record<string, string> = { ...(await embeddedEnv(dataDir)), HOST: '127.0.0.1', PORT: '0', DRIFTWATCH_ADMIN_TOKEN: 'a'.repeat(32) };
    const serve = runAs(nobodyUid, nobodyGid, ['serve'], env, scratch);
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const match = /listening on (http:\/\/\S+)/.exec(serve.output());
        if (match?.[1]) {
          clearInterval(timer);
          resolve(match[1]);
        }
      }, 50);
      void serve.exited.then((run) => {
        clearInterval(timer);
        reject(new Error(`serve exited with ${run.code} before listening:\n${run.output}`));
      });
    });
    expect(serve.output()).toContain(`database: embedded PostgreSQL postgres@127.0.0.1:${env['EMBEDDED_POSTGRES_PORT']}/driftwatch (data in ${dataDir})`);
    const health = await fetch(`${url}/api/v1/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', database: 'up' });
    expect((await serve.stop()).code).toBe(0);

    const st = statSync(dataDir);
    expect({ uid: st.uid, mode: st.mode & 0o777 }).toEqual({ uid: nobodyUid, mode: 0o700 });
    expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

    const again = await runAs(nobodyUid, nobodyGid, ['migrate'], await embeddedEnv(dataDir), scratch).exited;
    expect(again.output).not.toContain('initialising');
    expect(again.output).toContain('database is up to date');
    expect(again.code).toBe(0);
  }, 90_000);

  it('falls back to a folder of its own under the temp directory when it cannot write where it was told, and says so', async ({ expect }) => {
    const rootOnly = join(scratch, 'root-only');
    mkdirSync(rootOnly, { mode: 0o755 }); // root's: others may enter but not create
    const env = await embeddedEnv(join(rootOnly, '.data', 'postgres'));
    const run = await runAs(nobodyUid, nobodyGid, ['migrate'], env, scratch).exited;
    const fallback = /keeping the embedded database in (\S+) instead/.exec(run.output)?.[1];
    if (fallback) cleanup.push(fallback);
    expect(run.output).toContain(`the user "nobody" cannot create folders in ${rootOnly}; keeping the embedded database in ${join(tmpdir(), `driftwatch-pgdata-${nobodyUid}-`)}`);
    expect(run.output).toContain(`(data in ${fallback})`);
    expect(run.output).toMatch(/applied \d+ migration\(s\)/);
    expect(run.code).toBe(0);
    expect(statSync(fallback ?? '').uid).toBe(nobodyUid);
  }, 90_000);

  it.skipIf(unknownUid === undefined)('refuses, in one line, a uid without an /etc/passwd entry (initdb needs one)', async ({ expect }) => {
    const uid = unknownUid ?? 0;
    const volume = join(scratch, 'anonymous');
    mkdirSync(volume, { mode: 0o755 });
    chownSync(volume, uid, uid);
    const run = await runAs(uid, uid, ['migrate'], await embeddedEnv(join(volume, 'postgres')), scratch).exited;
    expect(run.output).toContain(
      `driftwatch migrate: cannot start a database: cannot run the embedded PostgreSQL as uid ${uid}: it has no entry in /etc/passwd, and initdb needs one (run as a user that has one, or set DATABASE_URL)`,
    );
    expect(run.code).toBe(1);
  }, 30_000);
});
