import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueApiKey } from '@driftwatch/api';
import { AlertStore, dropDatabase, ensureDatabase, withDatabase } from '@driftwatch/persistence';
import { createSyntheticCluster, FakeHubbleRelay, generateHubbleTraffic, renderSyntheticPolicies } from '@driftwatch/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, startServe } from './run-cli.js';

const serverUrl = inject('serverUrl');
const token = `t0-${randomBytes(24).toString('hex')}`;
const LABELS = ['allowed', 'denied', 'unexpected'] as const;
type Counts = Record<(typeof LABELS)[number], number>;
interface StatsEvent {
  at: string;
  intervalMs: number;
  namespaces: ({ namespace: string } & Counts)[];
}

async function statsClient(url: string, key: string, subscribe: Record<string, unknown>) {
  const socket: Socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: key } });
  const stats: StatsEvent[] = [];
  socket.on('flows.stats', (event: StatsEvent) => stats.push(event));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ack = (await socket.timeout(5000).emitWithAck('subscribe', subscribe)) as { ok: boolean };
  expect(ack.ok).toBe(true);
  const sums = () => {
    const out = new Map<string, Counts>();
    for (const event of stats) {
      for (const entry of event.namespaces) {
        const sum = out.get(entry.namespace) ?? { allowed: 0, denied: 0, unexpected: 0 };
        for (const label of LABELS) sum[label] += entry[label];
        out.set(entry.namespace, sum);
      }
    }
    return out;
  };
  return { socket, stats, sums };
}

async function until(what: () => string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('flows.stats end to end: fake relay → collect (its own process) → NOTIFY → serve → socket.io', () => {
  const name = `driftwatch_flowstats_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  let dir: string;
  beforeAll(async () => {
    await ensureDatabase(serverUrl, name, { template: inject('templateDatabase') });
    dir = await mkdtemp(join(tmpdir(), 'driftwatch-flowstats-'));
  });
  afterAll(async () => {
    await dropDatabase(serverUrl, name);
    await rm(dir, { recursive: true, force: true });
  });

  it('a client subscribed to namespace A gets exactly the counts of A by label, and never those of B', async () => {
    const cluster = createSyntheticCluster({ seed: 11, namespaces: 4 });
    await writeFile(join(dir, 'policies.yaml'), renderSyntheticPolicies(cluster));
    const events = [...generateHubbleTraffic(cluster, { seed: 11, count: 3000, startTimeMs: Date.now() - 60_000, driftRate: 0.05 })];
    // What classification should give: each labeled flow counts once for each distinct namespace of its sides.
    const expected = new Map<string, Counts>();
    for (const { response, expected: e } of events) {
      if (e.label === undefined) continue;
      const flow = response.flow as { source?: { namespace?: string }; destination?: { namespace?: string } };
      for (const ns of new Set([flow.source?.namespace, flow.destination?.namespace])) {
        if (!ns) continue;
        const sum = expected.get(ns) ?? { allowed: 0, denied: 0, unexpected: 0 };
        sum[e.label] += 1;
        expected.set(ns, sum);
      }
    }
    const [a, b] = ['shop', 'payments'];
    expect(LABELS.every((l) => (expected.get(a)?.[l] ?? 0) > 0)).toBe(true); // every label occurs in A, so the test can fail
    expect(expected.get(b)?.allowed).toBeGreaterThan(0);

    const relay = await FakeHubbleRelay.start({ history: events.map((e) => e.response) });
    const serve = await startServe({ DATABASE_URL: url, PORT: '0', LOG_LEVEL: 'warn', DRIFTWATCH_ADMIN_TOKEN: token }, 45_000);
    const store = AlertStore.open(url, 1);
    const clients: Awaited<ReturnType<typeof statsClient>>[] = [];
    try {
      const scoped = await issueApiKey(store.keys, { role: 'viewer', namespaces: [a], name: 'flow stats test' }, 'test');
      // A key scoped to A asking for A and B gets A only; an admin asking for B gets B; an admin with no filter gets all.
      const onlyA = await statsClient(serve.url, scoped.key, { namespaces: [a, b] });
      const onlyB = await statsClient(serve.url, token, { namespaces: [b] });
      const all = await statsClient(serve.url, token, {});
      clients.push(onlyA, onlyB, all);
      const collect = await runCli(['collect', '--hubble', relay.address, '--policies', dir, '--until-idle', '2'], { DATABASE_URL: url, LOG_LEVEL: 'warn' }, 90_000);
      expect(collect.code, collect.stderr).toBe(0);
      const settled = () => {
        const sums = all.sums();
        return [...expected].every(([ns, counts]) => JSON.stringify(sums.get(ns)) === JSON.stringify(counts));
      };
      await until(() => `every namespace's counts at the unfiltered client: ${JSON.stringify([...all.sums()])}`, settled);
      await until(() => `A's counts: ${JSON.stringify([...onlyA.sums()])}`, () => JSON.stringify(onlyA.sums().get(a)) === JSON.stringify(expected.get(a)));
      await until(() => `B's counts: ${JSON.stringify([...onlyB.sums()])}`, () => JSON.stringify(onlyB.sums().get(b)) === JSON.stringify(expected.get(b)));
      await new Promise((resolve) => setTimeout(resolve, 1500)); // one more tick: nothing may be counted twice
      expect(onlyA.sums()).toEqual(new Map([[a, expected.get(a)]]));
      expect(onlyB.sums()).toEqual(new Map([[b, expected.get(b)]]));
      expect(all.sums()).toEqual(expected);
      for (const event of onlyA.stats) {
        expect(event.intervalMs).toBeGreaterThan(0);
        expect(Number.isNaN(Date.parse(event.at))).toBe(false);
      }
    } finally {
      for (const client of clients) client.socket.close();
      await store.close();
      expect(await serve.stop()).toBe(0);
      await relay.stop();
    }
  }, 120_000);
});
