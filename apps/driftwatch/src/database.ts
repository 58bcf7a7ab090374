import { ConfigError, loadConfig, type Config } from '@driftwatch/config';
import { DatabaseUnavailableError, resolveDatabase, type ResolvedDatabase } from '@driftwatch/persistence';
import { CliError, type CliIo } from './cli.js';

/** Loads the configuration, turning every invalid variable into one line of a CliError (exit 2). */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(`invalid configuration:\n  ${error.problems.join('\n  ')}`, 2);
    throw error;
  }
}

/** Chooses the database as documented in README.md and prints which one is in use. */
export async function openDatabase(io: CliIo, config: Config = configOrExit()): Promise<ResolvedDatabase> {
  try {
    const database = await resolveDatabase(config, (line) => io.stderr(`${line}\n`));
    io.stderr(`database: ${database.description}\n`);
    return database;
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw new CliError(error.message);
    throw new CliError(`cannot start a database: ${(error as Error).message}`);
  }
}
