import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlertStore, dropDatabase, ensureDatabase, FlowStore, withDatabase } from '@driftwatch/persistence';
import { FakeHubbleRelay, parseHubbleJsonLines, type GrpcGetFlowsResponse } from '@driftwatch/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { until } from './observability-kit.js';
import { startCli, startServe } from './run-cli.js';

// Issue 10: several processes on one Postgres. Two `collect` processes, each reading its own fake Hubble Relay,
// and two API-only `serve` processes share one fresh database. Alert events reach API processes through the
// `alert_events` table and NOTIFY (AlertEventFeed), so every client of either API process must receive every
// event exactly once, whichever collector made it; the partial unique index on alerts keeps one alert per key
// even when both collectors see the same key at once.

const shop = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop');
const policies = join(shop, 'policies');
const capture = readFileSync(join(shop, 'flows.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
const serverUrl = inject('serverUrl');
const token = `t0-${randomBytes(24).toString('hex')}`;

/** Lines of the shop capture labeled allowed (`driftwatch evaluate`): connections at both ends, DNS, egress to the world. */
const ALLOWED = [1, 2, 5, 6, 8, 10, 11];
/** The drift lines: 13 and 14 the unenforced deny frontend → database:5432 at both ends (one key), 15 the unexpected drop. */
const DRIFT = [13, 14, 15];
/**
 * Each relay's own clusters, and one cluster both relays report. The cluster is part of every connection key, so
 * each relay makes alerts of its own (and both count into the shared cluster's), and it tells the relays' flows
 * apart in flow_records, whose `source` column holds the kind of source ("hubble" for both), not the collector id.
 */
const OWN = { west: ['west-1', 'west-2', 'west-3'], east: ['east-1', 'east-2', 'east-3'] } as const;
const SHARED = 'shared';
const ROUNDS = 4;
/** Per round and cluster: copies of each allowed line, copies of each drift line. */
const ALLOWED_COPIES = 25;
const DRIFT_COPIES = 5;

/**
 * `copies` new flows (fresh uuids, times of now) of each of the capture's `lineNumbers`, observed in `cluster`:
 * Hubble names nodes `<cluster>/<node>` outside the "default" cluster, which is where a flow's cluster comes from.
 */
function flowsIn(cluster: string, lineNumbers: readonly number[], copies: number): GrpcGetFlowsResponse[] {
  const out: string[] = [];
  for (let i = 0; i < copies; i += 1) {
    for (const n of lineNumbers) {
      const parsed = JSON.parse(capture[n - 1] as string) as { flow: { uuid: string; time: string; node_name: string }; node_name: string; time: string };
      parsed.flow.uuid = randomUUID();
      parsed.flow.time = parsed.time = new Date().toISOString();
      parsed.flow.node_name = parsed.node_name = `${cluster}/${parsed.flow.node_name}`;
      out.push(JSON.stringify(parsed));
    }
  }
  return parseHubbleJsonLines(out.join('\n'));
}

/** One round of a relay's traffic: allowed flows in its own clusters, drift in its own clusters and the shared one. */
function round(own: readonly string[]): GrpcGetFlowsResponse[] {
  return [
    ...own.flatMap((cluster) => flowsIn(cluster, ALLOWED, ALLOWED_COPIES)),
    ...[...own, SHARED].flatMap((cluster) => flowsIn(cluster, DRIFT, DRIFT_COPIES)),
  ];
}

interface Received {
  event: string;
  payload: { eventId: string; alert: { id: string } };
}

async function subscribed(url: string): Promise<{ socket: Socket; received: Received[] }> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
  const received: Received[] = [];
  socket.onAny((event: string, payload: Received['payload']) => {
    if (event.startsWith('alert.')) received.push({ event, payload });
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ack = (await socket.timeout(5000).emitWithAck('subscribe', {})) as { ok: boolean };
  expect(ack.ok).toBe(true);
  return { socket, received };
}

interface ListedAlert {
  id: string;
  cluster: string;
  driftKind: string;
  flowCount: number;
  status: string;
}

async function listAlerts(url: string): Promise<ListedAlert[]> {
  const response = await fetch(`${url}/api/v1/alerts?limit=500`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { alerts: ListedAlert[] }).alerts;
}

const byId = (a: { id: string }, b: { id: string }) => Number(a.id) - Number(b.id);

/** Flows stored in flow_records, summed per cluster. */
async function storedFlowsByCluster(store: FlowStore): Promise<Map<string, number>> {
  const records = await store.flowRecords.list(100_000);
  expect(records.length).toBeLessThan(100_000);
  const sums = new Map<string, number>();
  for (const r of records) sums.set(r.cluster, (sums.get(r.cluster) ?? 0) + r.flowCount);
  return sums;
}

/** Every alert (any status) and every alert event, by id. */
async function storedAlerts(store: AlertStore) {
  const { alerts, nextCursor } = await store.alerts.list({ limit: 500 }, '*');
  expect(nextCursor).toBeNull();
  const events = await store.events.after('0', 10_000);
  expect(events.length).toBeLessThan(10_000);
  return { alerts: alerts.sort(byId), events: events.sort(byId) };
}

describe('scale-out: two collectors and two API processes on one Postgres (real processes)', () => {
  const name = `driftwatch_scaleout_${randomBytes(4).toString('hex')}`;
  const url = withDatabase(serverUrl, name);
  let flowStore: FlowStore;
  let alertStore: AlertStore;
  beforeAll(async () => {
    await ensureDatabase(serverUrl, name);
    flowStore = await FlowStore.open(url, 1);
    alertStore = AlertStore.open(url, 1);
  });
  afterAll(async () => {
    await flowStore.close();
    await alertStore.close();
    await dropDatabase(serverUrl, name);
  });

  it('every client of either API process receives each alert event once; flow and alert counts are exact', async () => {
    const relays = { west: await FakeHubbleRelay.start(), east: await FakeHubbleRelay.start() };
    const env = { DATABASE_URL: url, LOG_LEVEL: 'warn' };
    // all four start at once on the empty database: their migrations race, as replicas of a deployment do
    const collectors = {
      west: startCli(['collect', '--hubble', relays.west.address, '--policies', policies], env),
      east: startCli(['collect', '--hubble', relays.east.address, '--policies', policies], env),
    };
    const serveEnv = { ...env, PORT: '0', DRIFTWATCH_ADMIN_TOKEN: token };
    const serves = await Promise.allSettled([startServe(serveEnv, 25_000), startServe(serveEnv, 25_000)]);
    const apis = serves.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const clients: { socket: Socket; received: Received[] }[] = [];
    try {
      for (const s of serves) if (s.status === 'rejected') throw s.reason;
      const [a, b] = apis as [(typeof apis)[0], (typeof apis)[0]];
      for (const [side, collect] of Object.entries(collectors)) {
        const relay = relays[side as keyof typeof relays];
        await Promise.race([
          relay.waitForRequests(1),
          collect.exited.then((run) => Promise.reject(new Error(`collect of ${side} exited with ${run.code} before it dialled its relay:\n${run.stderr}`))),
        ]);
      }
      // two clients on each API process, subscribed to everything before the first flow
      for (const api of [a, a, b, b]) clients.push(await subscribed(api.url));

      const sent = new Map<string, number>();
      const count = (cluster: string, n: number) => sent.set(cluster, (sent.get(cluster) ?? 0) + n);
      for (let r = 0; r < ROUNDS; r += 1) {
        for (const side of ['west', 'east'] as const) {
          relays[side].push(...round(OWN[side]));
          for (const cluster of OWN[side]) count(cluster, ALLOWED.length * ALLOWED_COPIES + DRIFT.length * DRIFT_COPIES);
          count(SHARED, DRIFT.length * DRIFT_COPIES);
        }
      }
      const clusters = [...OWN.west, ...OWN.east, SHARED];
      const expectedAlerts = clusters.length * 2; // an unenforced deny and an unexpected drop in each cluster
      expect(relays.west.size + relays.east.size).toBe([...sent.values()].reduce((x, y) => x + y, 0));

      const opened = (c: { received: Received[] }) => c.received.filter((r) => r.event === 'alert.opened');
      await until(
        () => `${expectedAlerts} alert.opened at every client (got ${clients.map((c) => opened(c).length).join(', ')})`,
        () => (clients.every((c) => opened(c).length >= expectedAlerts) ? true : undefined),
      );
      // every flow sent is stored once: flow_count summed per cluster (each relay's own clusters, and the shared one)
      let stored = new Map<string, number>();
      await until(
        () => `stored flows ${JSON.stringify([...stored])} to be ${JSON.stringify([...sent])}`,
        async () => {
          stored = await storedFlowsByCluster(flowStore);
          return [...sent].every(([cluster, n]) => stored.get(cluster) === n) ? true : undefined;
        },
      );
      expect(Object.fromEntries(stored)).toEqual(Object.fromEntries(sent));

      // the collectors stop cleanly (writing the counts they hold) and each read exactly its relay's flows
      for (const [side, collect] of Object.entries(collectors)) {
        const run = await collect.stop();
        expect(run.code, run.stderr).toBe(0);
        const summary = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { flows: number; lost: number };
        expect(summary).toMatchObject({ flows: relays[side as keyof typeof relays].size, lost: 0 });
      }

      // the alerts table: one alert per key, and its flow count is every drift flow of the key from both collectors
      const { alerts, events } = await storedAlerts(alertStore);
      expect(alerts).toHaveLength(expectedAlerts);
      const relaysOf = (cluster: string) => (cluster === SHARED ? 2 : 1);
      expect(alerts.map((x) => [x.cluster, x.driftKind, x.flowCount, x.status]).sort()).toEqual(
        clusters
          .flatMap((c) => [
            [c, 'unenforced-deny', 2 * DRIFT_COPIES * ROUNDS * relaysOf(c), 'open'],
            [c, 'unexpected-drop', DRIFT_COPIES * ROUNDS * relaysOf(c), 'open'],
          ])
          .sort(),
      );
      expect(events.filter((e) => e.type === 'alert.opened').map((e) => e.alertId).sort()).toEqual(alerts.map((x) => x.id).sort());

      // every client, on either API process, receives every event once and in order, and nothing else
      const lastId = (events.at(-1) as { id: string }).id;
      await until(
        () => `event ${lastId} at every client (last: ${clients.map((c) => c.received.at(-1)?.payload.eventId).join(', ')})`,
        () => (clients.every((c) => c.received.some((r) => r.payload.eventId === lastId)) ? true : undefined),
      );
      for (const client of clients) {
        expect(client.received.map((r) => [r.payload.eventId, r.event, r.payload.alert.id])).toEqual(events.map((e) => [e.id, e.type, e.alertId]));
        expect(opened(client).map((r) => r.payload.alert.id).sort((x, y) => Number(x) - Number(y))).toEqual(alerts.map((x) => x.id));
      }

      // both API processes list the same alerts, with the stored counts
      const [listedA, listedB] = await Promise.all([listAlerts(a.url), listAlerts(b.url)]);
      expect([...listedA].sort(byId).map((x) => [x.id, x.cluster, x.driftKind, x.flowCount])).toEqual(alerts.map((x) => [x.id, x.cluster, x.driftKind, x.flowCount]));
      expect(listedB).toEqual(listedA);
    } finally {
      for (const client of clients) client.socket.close();
      const codes = await Promise.all([...Object.values(collectors).map(async (c) => (await c.stop()).code), ...apis.map((api) => api.stop())]);
      await relays.west.stop();
      await relays.east.stop();
      expect(codes).toEqual([0, 0, ...apis.map(() => 0)]);
    }
  }, 60_000);
});
