import { join } from 'node:path';
import { unusedPort } from '@driftwatch/testing';
import { describe, expect, inject, it } from 'vitest';
import { runCli } from './run-cli.js';

const policies = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop', 'policies');
const databaseUrl = inject('databaseUrl');
const lines = (text: string) => text.trim().split('\n');
/** Log lines without their time and level stamp (`2026-…Z WARN  `). */
const messages = (text: string) => lines(text).map((l) => l.replace(/^\S+Z [A-Z]+ +/, ''));

describe('driftwatch collect: its sources', () => {
  it('exits 1 when a source was never reached, saying so in its last line after the summary', async () => {
    const port = await unusedPort();
    const run = await runCli(['collect', '--hubble', `127.0.0.1:${port}`, '--policies', policies, '--until-idle', '1'], { DATABASE_URL: databaseUrl }, 30_000);
    expect(run.code).toBe(1);
    expect(JSON.parse(lines(run.stdout).at(-1) ?? '{}')).toMatchObject({ flows: 0 });
    expect(messages(run.stderr).filter((l) => l.includes('cannot reach'))).toEqual([
      `hubble:127.0.0.1:${port}: cannot reach Hubble at 127.0.0.1:${port} (connection refused); reconnecting with backoff`,
    ]);
    expect(lines(run.stderr).at(-1)).toBe(
      `driftwatch collect: never reached hubble:127.0.0.1:${port} (connection refused): nothing was collected from it`,
    );
  });

  it('prints the address a server listening on port 0 is bound to, and keeps the configured one as its id', async () => {
    const run = await runCli(['collect', '--ingest-listen', '127.0.0.1:0', '--policies', policies, '--until-idle', '1'], { DATABASE_URL: databaseUrl }, 30_000);
    expect(run.code).toBe(0);
    const listening = messages(run.stderr).find((l) => l.startsWith('ingest:127.0.0.1:0: listening on '));
    expect(listening).toMatch(/^ingest:127\.0\.0\.1:0: listening on 127\.0\.0\.1:(\d+); plaintext without authentication, loopback only$/);
    expect(Number(/127\.0\.0\.1:(\d+);/.exec(listening ?? '')?.[1])).toBeGreaterThan(0);
  });

  it.each([
    [['--ingest-listen', '0.0.0.0:0'], {}, /^driftwatch collect: ingest:0\.0\.0\.0:0: refusing to accept flows from anyone on 0\.0\.0\.0:0: .*SOURCE_SERVER_ALLOW_PLAINTEXT=true$/],
    [['--felix-listen', '127.0.0.1:0', '--server-tls-cert', join(policies, '20-default-deny.yaml'), '--server-tls-key', join(policies, '20-default-deny.yaml')], {},
      /^driftwatch collect: server certificate \S+\/20-default-deny\.yaml: no PEM certificate in it$/],
  ])('refuses an unprotected or broken push server at start with one line: %j', async (args, env, message) => {
    const run = await runCli(['collect', ...args, '--policies', policies, '--until-idle', '1'], { DATABASE_URL: databaseUrl, ...env }, 30_000);
    expect(run.code).toBe(2);
    expect(lines(run.stderr).at(-1)).toMatch(message);
    expect(lines(run.stderr).filter((l) => l.startsWith('driftwatch collect:'))).toHaveLength(1);
  });

  it('serves plaintext off loopback when told to, and says so', async () => {
    const run = await runCli(['collect', '--ingest-listen', '0.0.0.0:0', '--server-allow-plaintext', '--policies', policies, '--until-idle', '1'], { DATABASE_URL: databaseUrl }, 30_000);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/ingest:0\.0\.0\.0:0: listening on 0\.0\.0\.0:\d+; plaintext without authentication, open to anyone/);
  });
});
