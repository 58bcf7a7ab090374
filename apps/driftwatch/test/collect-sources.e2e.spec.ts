import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FlowStore } from '@driftwatch/persistence';
import { FakeHubbleRelay, parseHubbleJsonLines, unusedPort } from '@driftwatch/testing';
import { describe, inject, it } from 'vitest';
import { runCli } from './run-cli.js';

const policies = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop', 'policies');
const databaseUrl = inject('databaseUrl');
const lines = (text: string) => text.trim().split('\n');
/** Log lines without their time and level stamp (`2026-…Z WARN  `). */
const messages = (text: string) => lines(text).map((l) => l.replace(/^\S+Z [A-Z]+ +/, ''));

// Each test runs the binary on its own sources and waits for it to go idle: they run side by side.
describe.concurrent('driftwatch collect: its sources', () => {
  it('keeps retrying a source it never reaches with one line, exits 1 when idle, saying so in its last line after the summary', async ({ expect }) => {
    const port = await unusedPort();
    const run = await runCli(['collect', '--hubble', `127.0.0.1:${port}`, '--policies', policies, '--until-idle', '2'], { DATABASE_URL: databaseUrl }, 30_000);
    expect(run.code).toBe(1);
    expect(JSON.parse(lines(run.stdout).at(-1) ?? '{}')).toMatchObject({ flows: 0 });
    expect(messages(run.stderr).filter((l) => l.includes('cannot reach'))).toEqual([
      `hubble:127.0.0.1:${port}: cannot reach Hubble at 127.0.0.1:${port} (connection refused); reconnecting with backoff`,
    ]);
    expect(lines(run.stderr).at(-1)).toBe(
      `driftwatch collect: never reached hubble:127.0.0.1:${port} (connection refused): nothing was collected from it`,
    );
  });

  it('prints the address a server listening on port 0 is bound to, and keeps the configured one as its id', async ({ expect }) => {
    const run = await runCli(['collect', '--ingest-listen', '127.0.0.1:0', '--policies', policies, '--until-idle', '1'], { DATABASE_URL: databaseUrl }, 30_000);
    expect(run.code).toBe(0);
    const listening = messages(run.stderr).find((l) => l.startsWith('ingest:127.0.0.1:0: listening on '));
    expect(listening).toMatch(/^ingest:127\.0\.0\.1:0: listening on 127\.0\.0\.1:(\d+); plaintext without authentication, loopback only$/);
    expect(Number(/127\.0\.0\.1:(\d+);/.exec(listening ?? '')?.[1])).toBeGreaterThan(0);
  });

  it.for([
    [['--ingest-listen', '0.0.0.0:0'], {}, /^driftwatch collect: ingest:0\.0\.0\.0:0: refusing to accept flows from anyone on 0\.0\.0\.0:0: .*SOURCE_SERVER_ALLOW_PLAINTEXT=true$/],
    [['--felix-listen', '127.0.0.1:0', '--server-tls-cert', join(policies, '20-default-deny.yaml'), '--server-tls-key', join(policies, '20-default-deny.yaml')], {},
      /^driftwatch collect: server certificate \S+\/20-default-deny\.yaml: no PEM certificate in it$/],
  ] as const)('refuses an unprotected or broken push server at start with one line: %j', async ([args, env, message], { expect }) => {
    const run = await runCli(['collect', ...args, '--policies', policies, '--until-idle', '1'], { DATABASE_URL: databaseUrl, ...env }, 30_000);
    expect(run.code).toBe(2);
    expect(lines(run.stderr).at(-1)).toMatch(message);
    expect(lines(run.stderr).filter((l) => l.startsWith('driftwatch collect:'))).toHaveLength(1);
  });

  it('dials a node-local Hubble socket (unix:///path) under the source id it is given', async ({ expect }) => {
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-sock-'));
    const socketPath = join(dir, 'hubble.sock');
    const history = parseHubbleJsonLines(readFileSync(join(policies, '..', 'flows.jsonl'), 'utf8'));
    const relay = await FakeHubbleRelay.start({ history, socketPath });
    const sourceId = `hubble:node-${process.pid}-${Date.now()}`;
    const store = await FlowStore.open(databaseUrl);
    try {
      const run = await runCli(
        ['collect', '--hubble', `unix://${socketPath}`, '--source-id', sourceId, '--policies', policies, '--until-idle', '1'],
        { DATABASE_URL: databaseUrl },
        30_000,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(lines(run.stdout).at(-1) ?? '{}').flows).toBeGreaterThan(0);
      const saved = await store.collectors.load(sourceId);
      expect(saved?.lastSeenTime).toBeInstanceOf(Date);
    } finally {
      await store.close();
      await relay.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.for([
    [['--hubble', 'unix:relative.sock'], /^driftwatch collect: --hubble must be host:port or unix:\/\/\/path, got "unix:relative.sock"$/],
    [['--felix-listen', 'unix:///tmp/x.sock'], /^driftwatch collect: --felix-listen must be host:port, got "unix:\/\/\/tmp\/x.sock"$/],
    [['--hubble', '127.0.0.1:1', '--ingest-listen', '127.0.0.1:0', '--source-id', 'a'], /^driftwatch collect: --source-id names one source/],
    [['--hubble', '127.0.0.1:1', '--source-id', 'bad id'], /^driftwatch collect: --source-id must be 1 to 200 characters/],
  ] as const)('refuses a bad address or source id with exit 2: %j', async ([args, message], { expect }) => {
    const run = await runCli(['collect', ...args, '--policies', policies, '--until-idle', '1'], { DATABASE_URL: databaseUrl }, 30_000);
    expect(run.code).toBe(2);
    expect(lines(run.stderr).at(-1)).toMatch(message);
  });

  it('serves plaintext off loopback when told to, and says so', async ({ expect }) => {
    const run = await runCli(['collect', '--ingest-listen', '0.0.0.0:0', '--server-allow-plaintext', '--policies', policies, '--until-idle', '1'], { DATABASE_URL: databaseUrl }, 30_000);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/ingest:0\.0\.0\.0:0: listening on 0\.0\.0\.0:\d+; plaintext without authentication, open to anyone/);
  });
});
