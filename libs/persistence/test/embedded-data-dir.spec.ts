import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirProblem, fallbackDataDir, postgresRunner, type PathFacts, type PostgresRunner } from '../src/database/embedded-postgres.js';

// Who runs the embedded PostgreSQL and where its data may go, decided from owners and modes alone. The real
// non-root start (a child process that drops to `nobody`) is in apps/driftwatch/test/embedded-non-root.e2e.spec.ts.

const node: PostgresRunner = { kind: 'self', name: 'node', uid: 1000, gid: 1000, groups: [1000] };
const podUser: PostgresRunner = { kind: 'self', name: 'app', uid: 1000, gid: 1000, groups: [1000, 2000] }; // fsGroup 2000
const postgresUser: PostgresRunner = { kind: 'postgres-user', name: 'postgres', uid: 101, gid: 102, groups: [102] };

const dir = (uid: number, gid: number, mode: number): PathFacts => ({ uid, gid, mode, isDirectory: () => true });
const file = (uid: number, gid: number, mode: number): PathFacts => ({ uid, gid, mode, isDirectory: () => false });

/** A file system of the paths given (every other path is missing); `/` is root's, 0755. */
function fs(paths: Record<string, PathFacts>) {
  const all: Record<string, PathFacts> = { '/': dir(0, 0, 0o755), ...paths };
  return (path: string) => all[path];
}

describe('dataDirProblem: can this user keep the embedded database there?', () => {
  const cases: { name: string; runner: PostgresRunner; paths: Record<string, PathFacts>; dataDir: string; problem: string | undefined }[] = [
    {
      name: 'the image: a volume owned by the app user, data directory not made yet',
      runner: node,
      paths: { '/var': dir(0, 0, 0o755), '/var/lib': dir(0, 0, 0o755), '/var/lib/driftwatch': dir(1000, 1000, 0o755) },
      dataDir: '/var/lib/driftwatch/postgres',
      problem: undefined,
    },
    {
      name: 'a checkout owned by root, as a non-root user (the image before this fix: /app/.data)',
      runner: node,
      paths: { '/app': dir(0, 0, 0o755) },
      dataDir: '/app/.data/postgres',
      problem: 'the user "node" cannot create folders in /app',
    },
    {
      name: 'a Kubernetes volume group-writable by the pod\'s fsGroup (a supplementary group)',
      runner: podUser,
      paths: { '/data': dir(0, 2000, 0o2775) },
      dataDir: '/data/postgres',
      problem: undefined,
    },
    {
      name: 'the same volume without that group: others may only read',
      runner: node,
      paths: { '/data': dir(0, 2000, 0o2775) },
      dataDir: '/data/postgres',
      problem: 'the user "node" cannot create folders in /data',
    },
    {
      name: 'a private folder above the data directory',
      runner: node,
      paths: { '/root': dir(0, 0, 0o700), '/root/driftwatch': dir(1000, 1000, 0o755) },
      dataDir: '/root/driftwatch/postgres',
      problem: 'the user "node" cannot enter /root',
    },
    {
      name: 'an existing data directory of another user (made by an earlier run as root)',
      runner: node,
      paths: { '/srv': dir(1000, 1000, 0o755), '/srv/postgres': dir(101, 102, 0o700) },
      dataDir: '/srv/postgres',
      problem: '/srv/postgres belongs to uid 101, not to "node" (uid 1000), and PostgreSQL only starts on a data directory its user owns',
    },
    {
      name: 'an existing data directory of its own',
      runner: node,
      paths: { '/srv': dir(0, 0, 0o755), '/srv/postgres': dir(1000, 1000, 0o700) },
      dataDir: '/srv/postgres',
      problem: undefined,
    },
    {
      name: 'a file where the data directory should be',
      runner: node,
      paths: { '/srv': dir(1000, 1000, 0o755), '/srv/postgres': file(1000, 1000, 0o644) },
      dataDir: '/srv/postgres',
      problem: '/srv/postgres is not a directory',
    },
    {
      name: 'nothing above but / (root\'s)',
      runner: node,
      paths: {},
      dataDir: '/postgres',
      problem: 'the user "node" cannot create folders in /',
    },
    {
      name: 'as root: a root-owned checkout is fine (root creates the folder and hands it to postgres)',
      runner: postgresUser,
      paths: { '/app': dir(0, 0, 0o755) },
      dataDir: '/app/.data/postgres',
      problem: undefined,
    },
    {
      name: 'as root: an existing root-owned data directory is handed over with chown',
      runner: postgresUser,
      paths: { '/app': dir(0, 0, 0o755), '/app/postgres': dir(0, 0, 0o700) },
      dataDir: '/app/postgres',
      problem: undefined,
    },
    {
      name: 'as root: postgres cannot walk through /root',
      runner: postgresUser,
      paths: { '/root': dir(0, 0, 0o700), '/root/checkout': dir(0, 0, 0o755) },
      dataDir: '/root/checkout/.data/postgres',
      problem: 'the user "postgres" cannot enter /root',
    },
    {
      name: 'as root: a group that lets postgres through',
      runner: postgresUser,
      paths: { '/home': dir(0, 0, 0o755), '/home/dev': dir(1000, 102, 0o710) },
      dataDir: '/home/dev/checkout/.data/postgres',
      problem: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(dataDirProblem(c.dataDir, c.runner, fs(c.paths))).toBe(c.problem);
    });
  }
});

describe('fallbackDataDir', () => {
  it('is in the temp directory, stable for one path, and apart for each non-root user', () => {
    const a = fallbackDataDir('/app/.data/postgres', node);
    expect(a).toBe(fallbackDataDir('/app/.data/postgres', node));
    expect(a.startsWith(join(tmpdir(), 'driftwatch-pgdata-1000-'))).toBe(true);
    expect(fallbackDataDir('/app/.data/postgres', { ...node, uid: 1001 })).not.toBe(a);
    expect(fallbackDataDir('/elsewhere/postgres', node)).not.toBe(a);
    // root's postgres user keeps the folder name earlier versions used, so its data is found again
    expect(fallbackDataDir('/app/.data/postgres', postgresUser)).toMatch(new RegExp(`^${tmpdir()}/driftwatch-pgdata-[0-9a-f]{12}$`));
  });
});

describe('postgresRunner', () => {
  it('runs the server as itself when not root, else as the postgres system user', () => {
    const runner = postgresRunner(() => undefined);
    if (process.getuid?.() === 0) {
      expect(runner).toMatchObject({ kind: 'postgres-user', name: 'postgres' });
      expect(runner.uid).not.toBe(0);
    } else {
      expect(runner).toMatchObject({ kind: 'self', uid: process.getuid?.() });
    }
  });
});
