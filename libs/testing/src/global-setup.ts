import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '@driftwatch/config';
import { applyMigrations, dropDatabase, ensureDatabase, resolveDatabase, withDatabase } from '@driftwatch/persistence';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated database of this test run's own, dropped when the run ends. */
    databaseUrl: string;
    /** A URL on the same server for creating further databases (its `postgres` database). */
    serverUrl: string;
  }
}

/**
 * vitest global setup for projects that need Postgres: chooses the server as `driftwatch serve` does
 * (DATABASE_URL, else 127.0.0.1:5432, else an embedded PostgreSQL), creates a database of this run's own,
 * applies the migrations, and drops the database afterwards.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = loadConfig();
  const server = await resolveDatabase(config, (line) => process.stderr.write(`[test database] ${line}\n`));
  const name = `driftwatch_test_${project.name.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server.url, name);
  const url = withDatabase(server.url, name);
  try {
    await applyMigrations(url);
  } catch (error) {
    await dropDatabase(server.url, name);
    await server.close();
    throw error;
  }
  project.provide('databaseUrl', url);
  project.provide('serverUrl', withDatabase(server.url, 'postgres'));
  return async () => {
    await dropDatabase(server.url, name);
    await server.close();
  };
}
