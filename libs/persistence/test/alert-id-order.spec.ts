/**
 * Alert and event ids are bigints read as text. Reads "in id order" must order by the number: a bare `order by id`
 * next to a selected `id::text` sorts the text ("1000" before "998"). That handed alert events to the socket.io
 * gateway out of order whenever a read spanned a digit boundary (the gateway then dropped the lower ones as already
 * sent: clients lost alerts), and made the revision re-check page past unresolved alerts.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AlertStore, type AlertCandidate, type AlertEventRecord } from '../src/index.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

let store: AlertStore;
let sql: postgres.Sql;
beforeAll(() => {
  store = AlertStore.open(databaseUrl, 2);
  sql = postgres(databaseUrl, { max: 1, onnotice: () => undefined });
});
afterAll(async () => {
  await store.close();
  await sql.end({ timeout: 5 });
});

function candidate(): AlertCandidate {
  const now = new Date();
  return {
    connectionKey: `alert-id-order-spec:${randomBytes(6).toString('hex')}`, driftKind: 'unexpected-drop', severity: 'medium', cluster: '',
    srcNamespace: 'shop', srcWorkload: 'frontend', srcIp: null, dstNamespace: 'shop', dstWorkload: 'backend', dstIp: null, dstPort: 8080,
    protocol: 'TCP', flowCount: 1, firstSeen: now, lastSeen: now, policyRevisionId: null, explanation: { text: 'test' }, sampleFlow: {},
  };
}

/**
 * Moves the id sequence of `table` so that its next ids cross a power of ten above every id it handed out:
 * returns that power B; the next ids are B - before, B - before + 1, ... (this project's files run one at a time).
 */
async function nextIdsCrossADigit(table: 'alerts' | 'alert_events', before: number): Promise<bigint> {
  const [named] = await sql<{ seq: string }[]>`select pg_get_serial_sequence(${table}, 'id') as seq`;
  const seq = (named as { seq: string }).seq;
  const [row] = await sql<{ top: string }[]>`
    select greatest((select coalesce(max(id), 0) from ${sql(table)}), (select last_value from ${sql.unsafe(seq)}))::text as top`;
  const boundary = 10n ** BigInt(String(BigInt((row as { top: string }).top) + BigInt(before) + 1n).length);
  await sql`select setval(${seq}, ${String(boundary - BigInt(before) - 1n)}::int8)`;
  return boundary;
}

const range = (from: bigint, count: number) => Array.from({ length: count }, (_, i) => String(from + BigInt(i)));

describe('reads in id order across a digit boundary (…98, 99, 100, 101…)', () => {
  it('AlertEventRepository.after and AlertEventFeed hand events out by number, each once', async () => {
    const received: AlertEventRecord[] = [];
    let arrived: () => void = () => undefined;
    const six = new Promise<void>((resolve) => (arrived = resolve));
    const feed = await store.follow((events) => {
      received.push(...events);
      if (received.length >= 6) arrived();
    });
    try {
      const boundary = await nextIdsCrossADigit('alert_events', 2);
      const { events } = await store.lifecycle.open([candidate(), candidate(), candidate(), candidate(), candidate(), candidate()]);
      const ids = range(boundary - 2n, 6);
      expect(events.map((e) => e.id)).toEqual(ids);
      expect((await store.events.after(String(boundary - 3n))).map((e) => e.id)).toEqual(ids);
      await six;
      expect(received.map((e) => e.id)).toEqual(ids);
      expect(feed.position).toBe(ids.at(-1));
    } finally {
      await feed.stop();
    }
  });

  it('AlertEventRepository.ofAlert lists one alert\'s events by number', async () => {
    const boundary = await nextIdsCrossADigit('alert_events', 1);
    const { outcomes } = await store.lifecycle.open([candidate()]);
    const id = (outcomes[0] as { alert: { id: string } }).alert.id;
    expect((await store.alerts.act(id, { kind: 'acknowledge' }, 'test', '*')).kind).toBe('done');
    expect((await store.alerts.act(id, { kind: 'resolve' }, 'test', '*')).kind).toBe('done');
    expect((await store.events.ofAlert(id)).map((e) => [e.id, e.type])).toEqual([
      [String(boundary - 1n), 'alert.opened'],
      [String(boundary), 'alert.acknowledged'],
      [String(boundary + 1n), 'alert.resolved'],
    ]);
  });

  it('AlertLifecycleRepository.unresolved pages through every unresolved alert by number', async () => {
    const boundary = await nextIdsCrossADigit('alerts', 2);
    await store.lifecycle.open([candidate(), candidate(), candidate(), candidate(), candidate(), candidate()]);
    const pages: string[][] = [];
    let after = String(boundary - 3n);
    for (;;) {
      const page = (await store.lifecycle.unresolved(after, 3)).map((a) => a.id);
      if (page.length === 0) break;
      pages.push(page);
      after = page.at(-1) as string;
    }
    expect(pages).toEqual([range(boundary - 2n, 3), range(boundary + 1n, 3)]);
  });
});
