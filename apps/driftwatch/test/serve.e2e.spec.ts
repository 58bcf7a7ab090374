import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { memoryLogger } from '@driftwatch/common';
import { dropDatabase, ensureDatabase, withDatabase } from '@driftwatch/persistence';
import { CliError } from '../src/cli.js';
import { migrateOrExit } from '../src/database.js';
import { unusedPort } from '@driftwatch/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runCli, startServe } from './run-cli.js';

const databaseUrl = inject('databaseUrl');
const serverUrl = inject('serverUrl');
const scratch = mkdtempSync(join(tmpdir(), 'driftwatch-serve-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const migrationsDir = join(import.meta.dirname, '..', '..', '..', 'prisma', 'migrations');

/** A copy of the migrations with one more that fails half-way. */
function brokenMigrations(): string {
  const dir = join(scratch, 'migrations');
  cpSync(migrationsDir, dir, { recursive: true });
  mkdirSync(join(dir, '29990101000000_broken'), { recursive: true });
  writeFileSync(join(dir, '29990101000000_broken', 'migration.sql'), 'CREATE TABLE "half_written" ("id" INTEGER);\nSELECT * FROM "no_such_table";\n');
  return dir;
}


describe('driftwatch serve', () => {
  it('prints its URL and database within 10 s, answers health, and stops cleanly on SIGTERM', async () => {
    const started = Date.now();
    const server = await startServe({ DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(10_000);
    expect(server.output()).toMatch(/database: DATABASE_URL postgres@127\.0\.0\.1:\d+\/driftwatch_test_/);
    expect(server.output().match(/database:/g)).toHaveLength(1);
    const response = await fetch(`${server.url}/api/v1/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'up', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(await server.stop()).toBe(0);
  });

  // Timed too (under 15 s): on its own, before the runs that go side by side.
  it('exits 1 with one clear line, not a hang, when the database does not answer', async () => {
    const port = await unusedPort();
    const started = Date.now();
    const run = await runCli(['serve'], { DATABASE_URL: `postgresql://postgres:secret@127.0.0.1:${port}/driftwatch`, PORT: '0' });
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000); // node start-up included, on a shared 2-core machine
    expect(run.stderr).toBe(`driftwatch serve: cannot reach database postgres@127.0.0.1:${port}/driftwatch: connection refused\n`);
    expect(run.stdout).toBe('');
  });

  // The rest each run the binary once and wait for it to exit: side by side, after the timed runs above.
  it.concurrent('exits 2 with one line per invalid variable and no stack trace', async ({ expect }) => {
    const run = await runCli(['serve'], { PORT: 'http', DATABASE_URL: 'mysql://db/x', LOG_LEVEL: 'chatty' });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      [
        'driftwatch serve: invalid configuration:',
        '  DATABASE_URL: must be a postgres:// or postgresql:// URL with a host (got "mysql://db/x")',
        '  PORT: must be a number (got "http")',
        '  LOG_LEVEL: must be one of fatal, error, warn, log, debug, verbose (got "chatty")',
        '',
      ].join('\n'),
    );
    expect(run.stdout).toBe('');
  });

  it.concurrent('never prints a password holding "/", whether the URL parses or not', async ({ expect }) => {
    const port = await unusedPort();
    const urls = ['postgres://user:a/b:Secret@127.0.0.1/db', `postgresql://postgres:p@ss/w:Secret@127.0.0.1:${port}/db`];
    for (const run of await Promise.all(urls.map((url) => runCli(['serve'], { DATABASE_URL: url, PORT: '0' })))) {
      expect(run.code).not.toBe(0);
      expect(run.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/Secret|a\/b|p@ss|w:/);
    }
  });

  it.concurrent('exits 1 with one line, instead of starting an embedded PostgreSQL, when the probed server refuses the login', async ({ expect }) => {
    const embedded = join(scratch, 'embedded');
    const run = await runCli(['serve'], {
      DATABASE_PROBE_URL: 'postgresql://driftwatch_no_such_role@127.0.0.1:5432/postgres',
      EMBEDDED_POSTGRES_DIR: embedded,
      EMBEDDED_POSTGRES_PORT: String(await unusedPort()),
      PORT: '0',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^driftwatch serve: PostgreSQL at driftwatch_no_such_role@127\.0\.0\.1:5432\/postgres answers but cannot be used: authentication failed \(.*\) \(fix DATABASE_PROBE_URL or set DATABASE_URL; no embedded server is started in its place\)\n$/,
    );
    expect(existsSync(embedded)).toBe(false);
  });

  it.concurrent('exits 2 with one line when POLICY_DIR does not exist, even without flow sources', async ({ expect }) => {
    const missing = join(scratch, 'no-such-policies');
    const run = await runCli(['serve'], { POLICY_DIR: missing, PORT: '0', DATABASE_URL: databaseUrl });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`driftwatch serve: invalid configuration: POLICY_DIR: no such file or directory (got "${missing}")\n`);
  });

  it.concurrent('exits 1 with one line when its port is taken', async ({ expect }) => {
    const blocker = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    try {
      const run = await runCli(['serve'], { DATABASE_URL: databaseUrl, PORT: String(port), LOG_LEVEL: 'fatal' });
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n').at(-1)).toBe(`driftwatch serve: cannot listen on 127.0.0.1:${port}: address already in use`);
    } finally {
      blocker.close();
    }
  });
});

describe.concurrent('driftwatch migrate', () => {
  it('reports an up-to-date database on a second run', async ({ expect }) => {
    const run = await runCli(['migrate'], { DATABASE_URL: databaseUrl });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^database is up to date \(\d+ ms\)\n$/);
  });

  it('reports a failed migration in one line, the engine trace only in the log at debug level', async ({ expect }) => {
    const name = `driftwatch_migfail_${process.pid}`;
    const url = withDatabase(serverUrl, name);
    await ensureDatabase(serverUrl, name);
    try {
      const broken = brokenMigrations();
      const logger = memoryLogger();
      const error = await migrateOrExit(url, logger, { migrationsDir: broken }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CliError);
      expect((error as Error).message).toMatch(/^migration 29990101000000_broken failed: .*no_such_table.* \(LOG_LEVEL=debug shows the details\)$/);
      expect(logger.lines.filter((l) => l.startsWith('debug: migration: ')).length).toBeGreaterThan(3);
      expect(logger.lines.join('\n')).toMatch(/apply_migration/);

      // The binary, on a database where that migration is recorded as failed: one line, no trace.
      const run = await runCli(['migrate'], { DATABASE_URL: url }, 60_000);
      expect(run.code).toBe(1);
      const lines = run.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^database: /);
      expect(lines[1]).toMatch(/^driftwatch migrate: migration failed: migrate found failed migrations in the target database.* \(LOG_LEVEL=debug shows the details\)$/);
      const debug = await runCli(['migrate'], { DATABASE_URL: url, LOG_LEVEL: 'debug' }, 60_000);
      expect(debug.stderr).toMatch(/ DEBUG migration: The `29990101000000_broken` migration started at .* failed/);
    } finally {
      await dropDatabase(serverUrl, name);
    }
  });
});

describe.concurrent('driftwatch', () => {
  it('lists its commands with --help and rejects unknown ones', async ({ expect }) => {
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}serve +run the API/m);
    expect(help.stdout).toMatch(/^ {2}migrate +apply pending/m);
    const unknown = await runCli(['frobnicate'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('driftwatch: unknown command "frobnicate"; run `driftwatch --help` for the list\n');
  });
});
