import { applyMigrations } from '@driftwatch/persistence';
import { CliError, parseCommandArgs, type CliIo } from '../cli.js';
import { configOrExit, openDatabase } from '../database.js';
import { createApp } from '../server.js';
import { version } from '../version.js';

export const usage = `usage: driftwatch serve

Runs the REST API under /api/v1 (GET /api/v1/health) after applying pending migrations.
Configuration comes from the environment (see README.md): HOST, PORT, DATABASE_URL, LOG_LEVEL, ...
Stops cleanly on SIGINT or SIGTERM.`;

/** Resolves when the server has been stopped by a signal. */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  parseCommandArgs(args, {});
  const config = configOrExit();
  const database = await openDatabase(io, config);
  try {
    const applied = await applyMigrations(database.url).catch((error: Error) => {
      throw new CliError(`migration failed: ${error.message}`);
    });
    if (applied.length > 0) io.stderr(`applied ${applied.length} migration(s): ${applied.join(', ')}\n`);
    const app = await createApp({ databaseUrl: database.url, version, logLevel: config.LOG_LEVEL });
    try {
      await app.listen(config.PORT, config.HOST);
    } catch (error) {
      await app.close();
      const e = error as NodeJS.ErrnoException;
      const reason = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
      throw new CliError(`cannot listen on ${config.HOST}:${config.PORT}: ${reason}`);
    }
    const url = (await app.getUrl()).replace('[::1]', 'localhost');
    io.stdout(`driftwatch ${version} listening on ${url} (health: ${url}/api/v1/health)\n`);
    io.stdout(`database: ${database.description}\n`);
    io.stdout('flow sources: none configured yet; serving the API only\n');
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    io.stderr('stopping\n');
    await app.close();
    return 0;
  } finally {
    await database.close();
  }
}
