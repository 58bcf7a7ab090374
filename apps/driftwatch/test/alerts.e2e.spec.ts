import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, FakeHubbleRelay, parseHubbleJsonLines, type GrpcGetFlowsResponse, type TestDatabase } from '@driftwatch/testing';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, startServe } from './run-cli.js';

const shop = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop');
const lines = readFileSync(join(shop, 'flows.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
const serverUrl = inject('serverUrl');
const template = inject('templateDatabase');
const token = `t0-${randomBytes(24).toString('hex')}`;

/**
 * `copies` new flows (fresh uuids, times of now) of each of the shop capture's drift lines: 13 and 14 are the
 * unenforced deny frontend → database:5432 seen at both ends (one key), 15 the unexpected drop frontend → backend.
 */
function driftFlows(copies: number): GrpcGetFlowsResponse[] {
  const now = Date.now();
  const out: string[] = [];
  for (let i = 0; i < copies; i += 1) {
    for (const n of [13, 14, 15]) {
      const parsed = JSON.parse(lines[n - 1] as string) as { flow: { uuid: string; time: string } };
      parsed.flow.uuid = randomUUID();
      parsed.flow.time = new Date(now + i).toISOString();
      out.push(JSON.stringify(parsed));
    }
  }
  return parseHubbleJsonLines(out.join('\n'));
}

interface Received {
  event: string;
  payload: { eventId: string; alert: { id: string; driftKind: string; severity: string } };
}

async function subscribed(url: string, key: string, namespaces?: string[]): Promise<{ socket: Socket; received: Received[] }> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token: key } });
  const received: Received[] = [];
  socket.onAny((event: string, payload: Received['payload']) => received.push({ event, payload }));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  const ack = (await socket.timeout(5000).emitWithAck('subscribe', namespaces ? { namespaces } : {})) as { ok: boolean };
  expect(ack.ok).toBe(true);
  return { socket, received };
}

async function until(what: string | (() => string), condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const listAlerts = async (url: string) =>
  ((await (await fetch(`${url}/api/v1/alerts`, { headers: { authorization: `Bearer ${token}` } })).json()) as { alerts: { id: string; driftKind: string; flowCount: number }[] }).alerts;

// Each test on a database of its own (copied from the template), side by side.
describe.concurrent('drift alerts end to end: fake relay → serve or collect → Postgres → socket.io and REST (real processes)', () => {
  let database: TestDatabase;
  let relay: FakeHubbleRelay;
  beforeAll(async () => {
    database = await createTestDatabase(serverUrl, template, 'driftwatch_alerts');
    relay = await FakeHubbleRelay.start({ replayHistoryOnFollow: false });
  });
  afterAll(async () => {
    await relay?.stop();
    await database?.drop();
  });

  it('a client receives alert.opened once per key, not per flow; REST lists the same alerts; a restart duplicates none', async ({ expect }) => {
    const url = database.url;
    const env = { DATABASE_URL: url, PORT: '0', LOG_LEVEL: 'warn', HUBBLE_ADDRESS: relay.address, POLICY_DIR: join(shop, 'policies'), DRIFTWATCH_ADMIN_TOKEN: token };
    const serve = await startServe(env, 45_000);
    let restarted: Awaited<ReturnType<typeof startServe>> | undefined;
    let second: FakeHubbleRelay | undefined;
    const client = await subscribed(serve.url, token, ['shop']);
    const elsewhere = await subscribed(serve.url, token, ['payments']);
    try {
      await relay.waitForRequests(1);
      relay.push(...driftFlows(20));
      await until('two alerts', () => client.received.filter((r) => r.event === 'alert.opened').length >= 2);
      const opened = client.received.filter((r) => r.event === 'alert.opened');
      expect(opened.map((r) => [r.payload.alert.driftKind, r.payload.alert.severity]).sort()).toEqual([
        ['unenforced-deny', 'critical'],
        ['unexpected-drop', 'medium'],
      ]);
      const alerts = await listAlerts(serve.url);
      expect(alerts.map((a) => a.id).sort()).toEqual(opened.map((r) => r.payload.alert.id).sort());
      expect(elsewhere.received).toEqual([]);

      client.socket.close();
      expect(await serve.stop()).toBe(0);
      second = await FakeHubbleRelay.start({ history: driftFlows(5) }); // a new source: nothing to resume, the same keys
      restarted = await startServe({ ...env, HUBBLE_ADDRESS: second.address }, 45_000);
      let now: Awaited<ReturnType<typeof listAlerts>> = [];
      await until(() => `the counts of the new flows (${JSON.stringify(now.map((a) => [a.driftKind, a.flowCount]))})`, async () => {
        now = await listAlerts((restarted as { url: string }).url);

        return now.find((a) => a.driftKind === 'unenforced-deny')?.flowCount === 50 && now.find((a) => a.driftKind === 'unexpected-drop')?.flowCount === 25;
      });
      expect((await listAlerts(restarted.url)).map((a) => a.id).sort()).toEqual(alerts.map((a) => a.id).sort());
    } finally {
      client.socket.close();
      elsewhere.socket.close();
      if (restarted) expect(await restarted.stop()).toBe(0);
      else await serve.stop();
      await second?.stop();
    }
  }, 120_000);

  it('with the detector in a separate collect process, clients of serve still receive every alert', async ({ expect }) => {
    const own = await createTestDatabase(serverUrl, template, 'driftwatch_alerts_collect');
    const ownUrl = own.url;
    const collectRelay = await FakeHubbleRelay.start({ history: driftFlows(10) });
    const serve = await startServe({ DATABASE_URL: ownUrl, PORT: '0', LOG_LEVEL: 'warn', DRIFTWATCH_ADMIN_TOKEN: token }, 45_000);
    try {
      const client = await subscribed(serve.url, token);
      const collect = await runCli(['collect', '--hubble', collectRelay.address, '--policies', join(shop, 'policies'), '--until-idle', '2'], { DATABASE_URL: ownUrl, LOG_LEVEL: 'warn' }, 90_000);
      expect(collect.code).toBe(0);
      await until('both alerts at the client of serve', () => client.received.filter((r) => r.event === 'alert.opened').length === 2);
      expect(client.received.filter((r) => r.event === 'alert.opened').map((r) => r.payload.alert.driftKind).sort()).toEqual(['unenforced-deny', 'unexpected-drop']);
      client.socket.close();
    } finally {
      await serve.stop();
      await collectRelay.stop();
      await own.drop();
    }
  }, 120_000);
});
