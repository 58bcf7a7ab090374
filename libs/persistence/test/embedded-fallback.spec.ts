import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { unusedPort } from '@driftwatch/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, resolveDatabase } from '../src/index.js';


describe('the embedded PostgreSQL fallback', () => {
  // Traversable by anyone, like a checkout: the data directory below it is created as a fresh clone would
  // (`.data/postgres`, with `.data/` not there yet), so the "postgres" user must be able to walk into `.data/`.
  const dataRoot = mkdtempSync(join(tmpdir(), 'driftwatch-embedded-test-'));
  chmodSync(dataRoot, 0o755);
  afterAll(() => rmSync(dataRoot, { recursive: true, force: true }));

  it('starts when the probed server does not answer, serves migrations, and restarts on its data', async () => {
    const [unused, embeddedPort] = [await unusedPort(), await unusedPort()];
    const config = {
      DATABASE_URL: undefined,
      DATABASE_PROBE_URL: `postgresql://postgres@127.0.0.1:${unused}/postgres`,
      DATABASE_NAME: 'driftwatch_embedded',
      EMBEDDED_POSTGRES_DIR: join(dataRoot, '.data', 'postgres'),
      EMBEDDED_POSTGRES_PORT: embeddedPort,
    };
    const lines: string[] = [];
    const first = await resolveDatabase(config, (line) => lines.push(line));
    try {
      expect(first.kind).toBe('embedded');
      expect(first.url).toBe(`postgresql://postgres@127.0.0.1:${embeddedPort}/driftwatch_embedded`);
      expect(first.description).toContain('embedded PostgreSQL');
      expect(lines.join('\n')).toContain(`no PostgreSQL answers at postgres@127.0.0.1:${unused}/postgres`);
      expect((await applyMigrations(first.url)).length).toBeGreaterThan(0);
      const client = new pg.Client({ connectionString: first.url });
      await client.connect();
      const { rows } = await client.query<{ v: string }>("select current_setting('server_version') as v");
      await client.query(`insert into audit_log (action, actor, target_type) values ('test', 'embedded-test', 'none')`);
      await client.end();
      expect(rows[0]?.v).toMatch(/^\d+/);
    } finally {
      await first.close();
    }
    const second = await resolveDatabase(config);
    try {
      expect(await applyMigrations(second.url)).toEqual([]);
      const client = new pg.Client({ connectionString: second.url });
      await client.connect();
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from audit_log where actor = 'embedded-test'`);
      await client.end();
      expect(rows[0]?.n).toBe(1);
    } finally {
      await second.close();
    }
  }, 60_000);

  it('refuses to fall back when DATABASE_URL is set but does not answer', async () => {
    const unused = await unusedPort();
    const started = Date.now();
    await expect(
      resolveDatabase({
        DATABASE_URL: `postgresql://postgres@127.0.0.1:${unused}/x`,
        DATABASE_PROBE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres',
        DATABASE_NAME: 'driftwatch',
        EMBEDDED_POSTGRES_DIR: join(dataRoot, 'never'),
        EMBEDDED_POSTGRES_PORT: unused,
      }),
    ).rejects.toThrow(`cannot reach database postgres@127.0.0.1:${unused}/x: connection refused`);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
