import { createMigration } from '@driftwatch/persistence';
import { CliError, parseCommandArgs, type CliIo } from '../cli.js';
import { appLogger, configOrExit, migrateOrExit, migrationSummary, openDatabase } from '../database.js';

export const usage = `usage: driftwatch migrate              apply pending migrations to the database
       driftwatch migrate create <name>  write a new migration from prisma/schema.prisma (review its SQL)

The database is chosen as for \`serve\`: DATABASE_URL, else the local PostgreSQL, else an embedded one.`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parseCommandArgs(args, {}, true);
  const [action, name, ...extra] = positionals;
  if (extra.length > 0 || (action !== undefined && action !== 'create') || (action === 'create' && !name)) {
    throw new CliError(`unexpected arguments ${JSON.stringify(positionals.join(' '))}\n${usage}`, 2);
  }
  const config = configOrExit();
  const logger = appLogger(config, io);
  const database = await openDatabase(io, config, logger);
  try {
    if (action === 'create' && name) {
      const folder = await createMigration(database.url, name);
      io.stdout(folder ? `wrote ${folder}/migration.sql; review it before committing\n` : 'the schema matches the migrations; nothing to write\n');
      return 0;
    }
    const started = performance.now();
    const applied = await migrateOrExit(database.url, logger);
    const ms = Math.round(performance.now() - started);
    io.stdout(
      applied.length === 0
        ? `database is up to date (${ms} ms)\n`
        : `applied ${applied.length} migration(s) in ${ms} ms: ${applied.join(', ')}\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof CliError) throw error;
    logger.debug(`migration: ${(error as Error).message}`);
    throw new CliError(migrationSummary((error as Error).message));
  } finally {
    await database.close();
  }
}

