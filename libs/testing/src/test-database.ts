import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase, withDatabase } from '@driftwatch/persistence';

/**
 * Databases of a test run (see global-setup.ts): the run's migrated template, which no session ever uses, and
 * copies of it (`CREATE DATABASE … TEMPLATE`, about a second less than migrating an empty database).
 */

/** The template database of the run whose shared database is `run`. */
export const templateOf = (run: string): string => `${run}_template`;

/** The database of vitest worker `id` in the run whose template is `template`. */
export const workerDatabaseOf = (template: string, id: number): string => `${template.replace(/_template$/, '')}_w${id}`;

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database, ending the sessions still open on it. */
  drop(): Promise<void>;
}

/**
 * A database of the caller's own (named `<label>_<random>`), migrated: a copy of the run's template. The caller
 * drops it (afterAll). `serverUrl` and `template` are the run's (`inject('serverUrl')`, `inject('templateDatabase')`).
 */
export async function createTestDatabase(serverUrl: string, template: string, label: string): Promise<TestDatabase> {
  const name = `${label}_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(serverUrl, name, { template });
  return { name, url: withDatabase(serverUrl, name), drop: () => dropDatabase(serverUrl, name) };
}

/**
 * The migrated database of this vitest worker (VITEST_POOL_ID), for a project whose files may run at the same
 * time: two files running at once never share a database; files that run one after another in a worker share it,
 * as all files of a project shared one when they ran one at a time. Made from the template on first use; the
 * run's global teardown drops it.
 */
export async function workerDatabaseUrl(serverUrl: string, template: string): Promise<string> {
  const id = Number(process.env['VITEST_POOL_ID'] ?? '1');
  if (!Number.isInteger(id) || id < 1) throw new Error(`VITEST_POOL_ID is not a worker number: ${process.env['VITEST_POOL_ID']}`);
  const name = workerDatabaseOf(template, id);
  await ensureDatabase(serverUrl, name, { template });
  return withDatabase(serverUrl, name);
}
