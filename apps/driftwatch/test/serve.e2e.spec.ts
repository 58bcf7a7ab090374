import { createServer } from 'node:net';
import { unusedPort } from '@driftwatch/testing';
import { describe, expect, inject, it } from 'vitest';
import { runCli, startServe } from './run-cli.js';

const databaseUrl = inject('databaseUrl');


describe('driftwatch serve', () => {
  it('prints its URL and database within 10 s, answers health, and stops cleanly on SIGTERM', async () => {
    const started = Date.now();
    const server = await startServe({ DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn' });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(10_000);
    expect(server.output()).toMatch(/database: DATABASE_URL postgres@127\.0\.0\.1:\d+\/driftwatch_test_/);
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
    expect(Date.now() - started).toBeLessThan(10_000);
    const lines = run.stderr.trim().split('\n');
    expect(lines.at(-1)).toBe(`driftwatch serve: cannot reach database postgres@127.0.0.1:${port}/driftwatch: connection refused`);
    expect(run.stderr).not.toContain('secret');
    expect(run.stderr).not.toMatch(/\n\s+at /);
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
