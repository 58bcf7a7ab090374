import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '@driftwatch/config';
import { applyMigrations, dropDatabase, ensureDatabase, resolveDatabase, withDatabase } from '@driftwatch/persistence';
import { templateOf, workerDatabaseOf } from './test-database.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A migrated database of this test run's own, shared by the project's files, dropped when the run ends. */
    databaseUrl: string;
    /** A URL on the same server for creating further databases (its `postgres` database). */
    serverUrl: string;
    /**
     * The name of this run's migrated template database on that server: no session uses it, so that
     * createTestDatabase and workerDatabaseUrl (test-database.ts) can copy it instead of migrating.
     */
    templateDatabase: string;
  }
}

/**
 * vitest global setup for projects that need Postgres: chooses the server as `driftwatch serve` does
 * (DATABASE_URL, else 127.0.0.1:5432, else an embedded PostgreSQL), migrates a template database of this run's
 * own, copies it to the project's shared database, and drops them all afterwards, with the worker databases made
 * from the template (workerDatabaseUrl).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const config = loadConfig();
  const server = await resolveDatabase(config, (line) => process.stderr.write(`[test database] ${line}\n`));
  const name = `driftwatch_test_${project.name.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  const template = templateOf(name);
  const workers = Math.max(project.config.maxWorkers || project.globalConfig.maxWorkers || 0, availableParallelism());
  const dropAll = async () => {
    for (const db of [name, template, ...Array.from({ length: workers }, (_, i) => workerDatabaseOf(template, i + 1))]) await dropDatabase(server.url, db);
  };
  try {
    await ensureDatabase(server.url, template);
    await applyMigrations(withDatabase(server.url, template));
    await ensureDatabase(server.url, name, { template });
  } catch (error) {
    await dropAll();
    await server.close();
    throw error;
  }
  project.provide('databaseUrl', withDatabase(server.url, name));
  project.provide('serverUrl', withDatabase(server.url, 'postgres'));
  project.provide('templateDatabase', template);
  return async () => {
    await dropAll();
    await server.close();
  };
}
