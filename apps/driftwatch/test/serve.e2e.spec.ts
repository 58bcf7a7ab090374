import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { unusedPort } from '@driftwatch/testing';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runCli, startServe } from './run-cli.js';

const databaseUrl = inject('databaseUrl');
const serverUrl = inject('serverUrl');
const scratch = mkdtempSync(join(tmpdir(), 'driftwatch-serve-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function sql(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
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

  it('exits 2 with one line per invalid variable and no stack trace', async () => {
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

  it('exits 1 with one clear line, not a hang, when the database does not answer', async () => {
    const port = await unusedPort();
    const started = Date.now();
    const run = await runCli(['serve'], { DATABASE_URL: `postgresql://postgres:secret@127.0.0.1:${port}/driftwatch`, PORT: '0' });
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(15_000); // node start-up included, on a shared 2-core machine
    expect(run.stderr).toBe(`driftwatch serve: cannot reach database postgres@127.0.0.1:${port}/driftwatch: connection refused\n`);
    expect(run.stdout).toBe('');
  });

  it('never prints a password holding "/", whether the URL parses or not', async () => {
    const port = await unusedPort();
    for (const url of ['postgres://user:a/b:Secret@127.0.0.1/db', `postgresql://postgres:p@ss/w:Secret@127.0.0.1:${port}/db`]) {
      const run = await runCli(['serve'], { DATABASE_URL: url, PORT: '0' });
      expect(run.code).not.toBe(0);
      expect(run.stderr.split('\n').filter((l) => l !== '')).toHaveLength(1);
      expect(`${run.stdout}${run.stderr}`).not.toMatch(/Secret|a\/b|p@ss|w:/);
    }
  });

  it('exits 1 with one line, instead of starting an embedded PostgreSQL, when the probed server refuses the login', async () => {
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

  it('exits 2 with one line when POLICY_DIR does not exist, even without flow sources', async () => {
    const missing = join(scratch, 'no-such-policies');
    const run = await runCli(['serve'], { POLICY_DIR: missing, PORT: '0', DATABASE_URL: databaseUrl });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`driftwatch serve: invalid configuration: POLICY_DIR: no such file or directory (got "${missing}")\n`);
  });

  it('exits 1 with one line when its port is taken', async () => {
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

describe('driftwatch migrate', () => {
  it('reports an up-to-date database on a second run', async () => {
    const run = await runCli(['migrate'], { DATABASE_URL: databaseUrl });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^database is up to date \(\d+ ms\)\n$/);
  });

  it('reports a failed migration in one line, the engine trace only at LOG_LEVEL=debug', async () => {
    const name = `driftwatch_migfail_${process.pid}`;
    const url = serverUrl.replace(/\/postgres$/, `/${name}`);
    await sql(serverUrl, `drop database if exists ${name} with (force)`);
    await sql(serverUrl, `create database ${name}`);
    try {
      expect((await runCli(['migrate'], { DATABASE_URL: url }, 60_000)).code).toBe(0);
      await sql(url, 'delete from _prisma_migrations'); // every migration pending again: the first one fails on existing types
      const run = await runCli(['migrate'], { DATABASE_URL: url }, 60_000);
      expect(run.code).toBe(1);
      const lines = run.stderr.split('\n').filter((l) => l !== '');
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^database: /);
      expect(lines[1]).toMatch(/^driftwatch migrate: migration \d+_\w+ failed: .*already exists \(LOG_LEVEL=debug shows the details\)$/);
      await sql(url, 'delete from _prisma_migrations');
      const debug = await runCli(['migrate'], { DATABASE_URL: url, LOG_LEVEL: 'debug' }, 60_000);
      expect(debug.stderr).toMatch(/ DEBUG migration: .*apply_migration/);
    } finally {
      await sql(serverUrl, `drop database if exists ${name} with (force)`);
    }
  });
});

describe('driftwatch', () => {
  it('lists its commands with --help and rejects unknown ones', async () => {
    const help = await runCli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^ {2}serve +run the API/m);
    expect(help.stdout).toMatch(/^ {2}migrate +apply pending/m);
    const unknown = await runCli(['frobnicate'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('driftwatch: unknown command "frobnicate"; run `driftwatch --help` for the list\n');
  });
});
