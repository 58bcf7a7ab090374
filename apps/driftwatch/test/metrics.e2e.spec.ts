import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createTestDatabase, FakeHubbleRelay, unusedPort, type TestDatabase } from '@driftwatch/testing';
import { afterAll, beforeAll, describe, inject, it } from 'vitest';
import { metric, lostEvents, shop, SHOP_LABELS, shopFlows, until } from './observability-kit.js';
import { runCli, startServe } from './run-cli.js';
import { version } from '../src/version.js';

// A database of this file's own: alerts and webhook deliveries are counted whole, and other serve tests of
// this project run in parallel (their dispatchers would claim this file's deliveries). Copied from the template.
const database: TestDatabase = await createTestDatabase(inject('serverUrl'), inject('templateDatabase'), 'driftwatch_test_metrics');
const databaseUrl = database.url;
const adminToken = `admin-${randomBytes(24).toString('hex')}`;
const metricsToken = `metrics-${randomBytes(12).toString('hex')}`;

afterAll(() => database.drop());

// The two describes (serve's metrics, collect's) run side by side: collect's serves no flow, opens no alert and
// delivers no webhook, so serve's counts stay exact.
describe.concurrent('GET /metrics of driftwatch serve, after flows from a fake Hubble relay (real processes)', () => {
  let relay: FakeHubbleRelay;
  let receiver: Server;
  let received = 0;
  beforeAll(async () => {
    relay = await FakeHubbleRelay.start({ replayHistoryOnFollow: false });
    receiver = createServer((req, res) => {
      req.resume().on('end', () => {
        received += 1;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await relay.stop();
    receiver.close();
  });

  it('names every metric, with values that follow the traffic', async ({ expect }) => {
    const serve = await startServe(
      {
        DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn', HUBBLE_ADDRESS: relay.address, POLICY_DIR: join(shop, 'policies'),
        DRIFTWATCH_ADMIN_TOKEN: adminToken, METRICS_TOKEN: metricsToken, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', FLOW_WINDOW_SECONDS: '0',
      },
      60_000,
    );
    const source = `hubble:${relay.address}`;
    const scrape = async () => {
      const response = await fetch(`${serve.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
      expect(response.status).toBe(200);
      return response.text();
    };
    try {
      expect((await fetch(`${serve.url}/metrics`)).status).toBe(401);
      const hook = await fetch(`${serve.url}/api/v1/webhooks`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'metrics-e2e', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` }),
      });
      expect(hook.status).toBe(201);
      await relay.waitForRequests(1);
      relay.push(...shopFlows(), lostEvents(5));

      const text = await until('the traffic in the metrics', async () => {
        const t = await scrape();
        const flows = Object.keys(SHOP_LABELS).reduce((n, label) => n + (metric(t, `driftwatch_flows_total{source="${source}",label="${label}"}`) ?? 0), 0);
        const delivered = metric(t, 'driftwatch_webhook_deliveries_total{outcome="delivered"}') ?? 0;
        const written = metric(t, 'driftwatch_batch_write_seconds_count') ?? 0;
        return flows === 16 && delivered >= 2 && written > 0 && (metric(t, `driftwatch_lost_events_total{source="${source}"}`) ?? 0) > 0 ? t : undefined;
      });
      for (const [label, count] of Object.entries(SHOP_LABELS)) {
        expect(metric(text, `driftwatch_flows_total{source="${source}",label="${label}"}`), label).toBe(count);
      }
      expect(metric(text, `driftwatch_lost_events_total{source="${source}"}`)).toBe(5);
      expect(metric(text, `driftwatch_collector_connected{source="${source}"}`)).toBe(1);
      expect(metric(text, 'driftwatch_pipeline_queue_batches')).toBeGreaterThanOrEqual(0);
      expect(metric(text, 'driftwatch_pipeline_queue_bytes')).toBeGreaterThanOrEqual(0);
      expect(metric(text, 'driftwatch_batch_write_seconds_count')).toBeGreaterThan(0);
      expect(metric(text, 'driftwatch_batch_write_seconds_sum')).toBeGreaterThan(0);
      const ratio = metric(text, 'driftwatch_decision_cache_hit_ratio') as number;
      expect(ratio).toBeGreaterThan(0); // the capture repeats connections: lookups after the first are hits
      expect(ratio).toBeLessThan(1);
      // The capture's drift opens two alerts: the unenforced deny to the database (critical), the unexpected drop (medium).
      expect(metric(text, 'driftwatch_open_alerts{severity="critical",status="open"}')).toBe(1);
      expect(metric(text, 'driftwatch_open_alerts{severity="medium",status="open"}')).toBe(1);
      expect(metric(text, 'driftwatch_open_alerts{severity="high",status="open"}')).toBe(0);
      expect(metric(text, 'driftwatch_webhook_deliveries_total{outcome="delivered"}')).toBe(received);
      expect(metric(text, 'driftwatch_webhook_deliveries_total{outcome="failed"}')).toBe(0);
      expect(metric(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
      expect(metric(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
      expect(metric(text, `driftwatch_build_info{version="${version}"}`)).toBe(1);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  }, 120_000);
});

describe.concurrent('GET /metrics of driftwatch collect on METRICS_LISTEN', () => {
  it('serves the collector\'s metrics on a port of its own while it runs, behind the token', async ({ expect }) => {
    const port = await unusedPort();
    const run = runCli(
      ['collect', '--ingest-listen', '127.0.0.1:0', '--policies', join(shop, 'policies'), '--until-idle', '4'],
      { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', METRICS_LISTEN: `127.0.0.1:${port}`, METRICS_TOKEN: metricsToken },
      60_000,
    );
    const scrape = (authorization?: string) => fetch(`http://127.0.0.1:${port}/metrics`, { headers: authorization ? { authorization } : {} });
    const text = await until('the collector\'s metrics', async () => {
      const response = await scrape(`Bearer ${metricsToken}`).catch(() => undefined);
      return response?.status === 200 ? response.text() : undefined;
    }, 30_000);
    expect(metric(text, 'driftwatch_collector_connected{source="ingest:127.0.0.1:0"}')).toBe(1);
    expect(metric(text, 'driftwatch_flows_total{source="ingest:127.0.0.1:0",label="allowed"}')).toBe(0);
    expect(text).not.toMatch(/^driftwatch_open_alerts\{/m);
    expect((await scrape()).status).toBe(401);
    expect((await run).code).toBe(0);
    await expect(scrape()).rejects.toThrow(); // gone with the process
  }, 90_000);
});
