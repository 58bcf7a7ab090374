/**
 * `npm ci && npm start` as the README promises it: `serve` with nothing configured but the database (and a free
 * port) plays the built-in demo source through the real Hubble client, prints the page, an admin token and a status
 * line, and the first drift becomes an open alert the printed token can read.
 */
import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, withDatabase } from '@driftwatch/persistence';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startServe } from './run-cli.js';

const serverUrl = inject('serverUrl');

async function until<T>(what: () => string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs / 1000} s: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

interface AlertSummary {
  id: string;
  status: string;
  severity: string;
  driftKind: string;
  srcWorkload: string | null;
  dstWorkload: string | null;
  dstPort: number | null;
}

describe('npm start with no configuration (real process, own database)', () => {
  const name = `driftwatch_quickstart_${randomBytes(4).toString('hex')}`;
  beforeAll(() => ensureDatabase(serverUrl, name));
  afterAll(() => dropDatabase(serverUrl, name));

  it('prints the page and an admin token, and within 30 s the first unexpected flow and an open alert, listed by GET /api/v1/alerts with that token', async () => {
    const serve = await startServe({ DATABASE_URL: withDatabase(serverUrl, name), PORT: '0' }, 90_000, { demo: true });
    try {
      const started = Date.now();
      const output = serve.output;
      await until(() => `the source line in:\n${output()}`, () => (/^flow sources: /m.test(output()) ? true : undefined), 10_000);
      expect(output()).toContain(`live page: ${serve.url}/\n`);
      expect(output()).toMatch(/^flow sources: demo: examples\/shop traffic at 50 flows\/s from a built-in Hubble API on 127\.0\.0\.1:\d+ /m);
      expect(output()).toMatch(/hubble:demo: started/); // the demo keeps one source id whatever its port
      const token = /^admin token: (dwt_[A-Za-z0-9_-]{43}) /m.exec(output())?.[1];
      expect(token).toBeDefined();

      // The status line (every 10 s when stdout is not a terminal) shows the drift and the alert it opened.
      const status = await until(
        () => `a status line with an open alert and unexpected flows in:\n${output()}`,
        () => /^status: open alerts ([1-9]\d*) · flows\/s (\S+): allowed \S+, denied \S+, unexpected (\S+), unlabeled \S+$/m.exec(output()) ?? undefined,
        30_000 - (Date.now() - started),
      );
      expect(Number(status[2])).toBeGreaterThan(20);
      expect(Number(status[3])).toBeGreaterThan(0);

      const alerts = await until(
        () => 'the alert over REST',
        async () => {
          const response = await fetch(`${serve.url}/api/v1/alerts?status=open`, { headers: { authorization: `Bearer ${token}` } });
          const body = (await response.json()) as { alerts: AlertSummary[] };
          return body.alerts.some((a) => a.srcWorkload === 'frontend' && a.dstWorkload === 'database') ? body.alerts : undefined;
        },
        30_000 - (Date.now() - started),
      );
      expect(alerts.find((a) => a.dstWorkload === 'database')).toMatchObject({ status: 'open', driftKind: 'unenforced-deny', severity: 'critical', dstPort: 5432 });
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  }, 150_000);
});
