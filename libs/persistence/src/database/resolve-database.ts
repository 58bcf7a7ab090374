import type { Logger } from '@driftwatch/common';
import type { Config } from '@driftwatch/config';
import { startEmbeddedPostgres } from './embedded-postgres.js';
import { answers, databaseOf, describeConnectionError, describeUrl, ensureDatabase, isNothingAnswers, queryOnce, withDatabase } from './postgres-probe.js';

/** Which database Driftwatch is using and how it was chosen. */
export interface ResolvedDatabase {
  readonly url: string;
  readonly kind: 'configured' | 'local' | 'embedded';
  /** One line for people: where the database is, never with a password. */
  readonly description: string;
  /** Stops an embedded server this process started; otherwise does nothing. */
  close(): Promise<void>;
}

export type DatabaseConfig = Pick<
  Config,
  'DATABASE_URL' | 'DATABASE_PROBE_URL' | 'DATABASE_NAME' | 'EMBEDDED_POSTGRES_DIR' | 'EMBEDDED_POSTGRES_PORT'
>;

/** A database that was configured but cannot be used; the message is one line naming the server and the reason. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
}

const retryDelaysMs = [250, 750, 1500];

/** Progress lines go to `log` (a Logger's `log` level); retries are logged at debug level only. */
type Progress = Logger | ((line: string) => void);

function asLogger(progress: Progress): Pick<Logger, 'log' | 'debug'> {
  return typeof progress === 'function' ? { log: progress, debug: () => undefined } : progress;
}

/**
 * Chooses the database, in this order:
 * 1. DATABASE_URL when set (its database is created if missing). If it does not answer after a few retries,
 *    this fails with a DatabaseUnavailableError rather than falling back: a configured server is never ignored.
 * 2. The server at DATABASE_PROBE_URL (default 127.0.0.1:5432) if it answers; DATABASE_NAME is created there.
 *    Only "nothing answers" (refused, unreachable, no socket, timeout) moves on: a server that answers with an
 *    error (authentication, missing database, TLS) is a DatabaseUnavailableError naming it.
 * 3. An embedded PostgreSQL with its data in EMBEDDED_POSTGRES_DIR, on EMBEDDED_POSTGRES_PORT.
 * Error messages are one line and never hold a password.
 */
export async function resolveDatabase(config: DatabaseConfig, progress: Progress = () => undefined): Promise<ResolvedDatabase> {
  const logger = asLogger(progress);
  const log = (line: string) => logger.log(line);
  const none = async () => undefined;
  if (config.DATABASE_URL) {
    const url = config.DATABASE_URL;
    await connectWithRetry(url, logger);
    return { url, kind: 'configured', description: `DATABASE_URL ${describeUrl(url)}`, close: none };
  }
  const probed = await answers(config.DATABASE_PROBE_URL).catch((error: unknown) => {
    throw new DatabaseUnavailableError(
      `PostgreSQL at ${describeUrl(config.DATABASE_PROBE_URL)} answers but cannot be used: ${describeConnectionError(error)} (fix DATABASE_PROBE_URL or set DATABASE_URL; no embedded server is started in its place)`,
    );
  });
  if (probed) {
    await ensureDatabase(config.DATABASE_PROBE_URL, config.DATABASE_NAME);
    const url = withDatabase(config.DATABASE_PROBE_URL, config.DATABASE_NAME);
    return { url, kind: 'local', description: `local PostgreSQL ${describeUrl(url)}`, close: none };
  }
  log(`no PostgreSQL answers at ${describeUrl(config.DATABASE_PROBE_URL)}; starting an embedded one`);
  const server = await startEmbeddedPostgres({ dataDir: config.EMBEDDED_POSTGRES_DIR, port: config.EMBEDDED_POSTGRES_PORT, log });
  try {
    await ensureDatabase(server.url, config.DATABASE_NAME);
  } catch (error) {
    await server.stop();
    throw error;
  }
  const url = withDatabase(server.url, config.DATABASE_NAME);
  return {
    url,
    kind: 'embedded',
    description: `embedded PostgreSQL ${describeUrl(url)} (data in ${server.dataDir})`,
    close: () => server.stop(),
  };
}

async function connectWithRetry(url: string, logger: Pick<Logger, 'debug'>): Promise<void> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= retryDelaysMs.length; attempt += 1) {
    try {
      await queryOnce(url, 'select 1', [], 2000);
      return;
    } catch (error) {
      lastError = error;
      if ((error as { code?: string }).code === '3D000') {
        // the server answers but the database is missing: create it, as for the local server
        await ensureDatabase(url, databaseOf(url));
        return;
      }
      const delay = retryDelaysMs[attempt];
      if (delay === undefined || !isNothingAnswers(error)) break; // a refusal does not change by waiting
      logger.debug(`database ${describeUrl(url)} does not answer (${describeConnectionError(error)}); retrying`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
  const code = (lastError as { code?: string }).code;
  const verb = isNothingAnswers(lastError) || code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'cannot reach' : 'cannot use';
  throw new DatabaseUnavailableError(`${verb} database ${describeUrl(url)}: ${describeConnectionError(lastError)}`);
}
