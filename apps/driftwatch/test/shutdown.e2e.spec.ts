import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { systemPath } from '@driftwatch/config';
import { FlowStore } from '@driftwatch/persistence';
import { createTestDatabase, FakeHubbleRelay, type TestDatabase } from '@driftwatch/testing';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { metric, shop, shopFlows, until } from './observability-kit.js';
import { startServe } from './run-cli.js';

// Databases of this file's own, one per test: the first compares every stored flow with every flow sent, and the
// second's `npm start` plays the demo source into its database. The two tests run side by side.
const serverUrl = inject('serverUrl');
const template = inject('templateDatabase');
const adminToken = `admin-${randomBytes(24).toString('hex')}`;
const root = join(import.meta.dirname, '..', '..', '..');

/** A relay that keeps sending: one new shop flow every `everyMs`, with a later time each, until stopped. */
function trickle(relay: FakeHubbleRelay, everyMs: number) {
  let sent = 0;
  let pool = shopFlows();
  const start = Date.now();
  const timer = setInterval(() => {
    if (pool.length === 0) pool = shopFlows(start + sent);
    relay.push(pool.shift()!);
    sent += 1;
  }, everyMs);
  return { sent: () => sent, stop: () => clearInterval(timer) };
}

describe.concurrent('stopping driftwatch serve (real processes)', () => {
  let relay: FakeHubbleRelay;
  let store: FlowStore;
  const databases: TestDatabase[] = [];
  beforeAll(async () => {
    relay = await FakeHubbleRelay.start();
  });
  afterAll(async () => {
    await relay.stop();
    await store?.close();
    for (const database of databases) await database.drop();
  });
  const ownDatabase = async () => {
    const database = await createTestDatabase(serverUrl, template, 'driftwatch_test_shutdown');
    databases.push(database);
    return database.url;
  };

  it('on SIGTERM writes every flow received, tells socket.io clients why, exits 0; a restart resumes without loss or double count', async ({ expect }) => {
    const databaseUrl = await ownDatabase();
    // A window of an hour and flows every 50 ms: nothing is written before the stop unless the stop writes it.
    const env = {
      DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn', HUBBLE_ADDRESS: relay.address, POLICY_DIR: join(shop, 'policies'),
      DRIFTWATCH_ADMIN_TOKEN: adminToken, FLOW_WINDOW_SECONDS: '3600',
    };
    const source = `hubble:${relay.address}`;
    const first = await startServe(env, 60_000);
    store = await FlowStore.open(databaseUrl);
    const stored = async () => (await store.flowRecords.totals()).reduce((n, t) => n + t.flows, 0);
    const flows = trickle(relay, 50);
    try {
      const client = io(first.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: adminToken } });
      const told: unknown[] = [];
      client.on('server.shutdown', (payload: unknown) => told.push(payload));
      const disconnected = new Promise<string>((resolve) => client.on('disconnect', (reason) => resolve(reason)));
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('connect_error', reject);
      });
      await until('50 flows at the first serve', async () => {
        const text = await (await fetch(`${first.url}/metrics`)).text();
        const received = ['allowed', 'denied', 'unexpected', 'skipped'].reduce((n, l) => n + (metric(text, `driftwatch_flows_total{source="${source}",label="${l}"}`) ?? 0), 0);
        return received >= 50 ? true : undefined;
      });
      expect(await stored()).toBe(0); // all of it still in the open window

      const stopped = Date.now();
      expect(await first.stop()).toBe(0);
      expect(Date.now() - stopped).toBeLessThan(25_000);
      expect(await disconnected).toBe('io server disconnect');
      expect(told).toEqual([{ reason: 'the server is shutting down' }]);
      client.close();
      const summary = /stopped in \d+ ms; (\d+) flows received \((\d+) duplicates\), all written/.exec(first.output());
      expect(summary, first.output()).not.toBeNull();
      const received = Number(summary![1]) - Number(summary![2]);
      expect(received).toBeGreaterThanOrEqual(50);
      expect(await stored()).toBe(received); // every flow received before the signal, and none twice

      // Flows go on while it is down; the relay keeps them, and the next start resumes where the first stopped.
      await until('more flows while it is down', () => (flows.sent() >= received + 20 ? true : undefined));
      const second = await startServe(env, 60_000);
      try {
        await until('flows after the restart', () => (flows.sent() >= received + 60 ? true : undefined));
        flows.stop();
        const total = flows.sent();
        let now = 0;
        let scraped = '';
        await until(() => `all ${total} flows stored (${now}; ${scraped.split('\n').filter((l) => l.startsWith('driftwatch_')).join('\n')})`, async () => {
          scraped = await (await fetch(`${second.url}/metrics`)).text();
          return (now = await stored()) === total ? true : undefined;
        }, 30_000);
      } finally {
        flows.stop();
        expect(await second.stop()).toBe(0);
      }
      expect(await stored()).toBe(flows.sent());
    } finally {
      flows.stop();
    }
  }, 180_000);

  it('SIGTERM to `npm start` stops the server too (none is left running, re-parented)', async ({ expect }) => {
    const databaseUrl = await ownDatabase();
    const child = spawn('npm', ['start', '--silent'], {
      cwd: root,
      env: { PATH: systemPath(), HOME: homedir(), DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn', LOG_FORMAT: 'text' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so that the cleanup below reaches a server left behind
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      const url = await until(() => `npm start to listen:\n${output}`, () => /listening on (http:\/\/\S+)/.exec(output)?.[1], 60_000);
      expect((await fetch(`${url}/api/v1/health`)).status).toBe(200);
      child.kill('SIGTERM');
      const exit = await exited;
      expect(exit.code === 0 || exit.signal === 'SIGTERM', JSON.stringify(exit)).toBe(true);
      expect(output).toMatch(/stopped in \d+ ms/);
      await expect(fetch(`${url}/api/v1/health`)).rejects.toThrow(); // nothing answers on that port any more
    } finally {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // the group is gone: nothing was left behind
      }
    }
  }, 90_000);
});
