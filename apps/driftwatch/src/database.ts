import { createLogger, resolveLogFormat, type Logger, type StructuredLogger } from '@driftwatch/common';
import { ConfigError, loadConfig, type Config } from '@driftwatch/config';
import { applyMigrations, DatabaseUnavailableError, resolveDatabase, type ResolvedDatabase } from '@driftwatch/persistence';
import { CliError, type CliIo } from './cli.js';

/**
 * Loads the configuration, turning every invalid variable into one line of a CliError (exit 2): the whole error
 * on one line when one variable is wrong, else a heading and one line per variable.
 */
export function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      const [only, ...more] = error.problems;
      if (only !== undefined && more.length === 0) throw new CliError(`invalid configuration: ${only}`, 2);
      throw new CliError(`invalid configuration:\n  ${error.problems.join('\n  ')}`, 2);
    }
    throw error;
  }
}

/**
 * The one logger of a command (its libraries, Nest, the collectors): on stderr, filtered by LOG_LEVEL, as JSON
 * lines or readable lines (LOG_FORMAT; `auto`: readable when stderr is a terminal). The command's results stay
 * on stdout and its one-line errors are plain text, whatever the format.
 */
export function appLogger(config: Config, io: CliIo): StructuredLogger {
  return createLogger({ level: config.LOG_LEVEL, format: resolveLogFormat(config.LOG_FORMAT), write: io.stderr });
}

/** Chooses the database as documented in README.md and says which one is in use (once, a notice on stderr). */
export async function openDatabase(io: CliIo, config: Config = configOrExit(), logger: StructuredLogger = appLogger(config, io)): Promise<ResolvedDatabase> {
  try {
    const database = await resolveDatabase(config, logger);
    logger.notice(`database: ${database.description}`);
    return database;
  } catch (error) {
    if (error instanceof DatabaseUnavailableError) throw new CliError(error.message);
    throw new CliError(`cannot start a database: ${firstLine((error as Error).message)}`);
  }
}

/**
 * Applies pending migrations. A failure is one line (the engine's first line); the engine's whole report, often
 * a multi-line trace, goes to the log at debug level.
 */
export async function migrateOrExit(url: string, logger: Logger, options?: Parameters<typeof applyMigrations>[1]): Promise<string[]> {
  try {
    return await applyMigrations(url, options);
  } catch (error) {
    const message = (error as Error).message;
    for (const line of message.split('\n')) if (line.trim() !== '') logger.debug(`migration: ${line}`);
    throw new CliError(`${migrationSummary(message)}${message.includes('\n') ? ' (LOG_LEVEL=debug shows the details)' : ''}`);
  }
}

/**
 * One line from the schema engine's report: the lines before its trace (`   0: sql_schema_connector::…`), joined,
 * with the name of the migration that failed when the trace gives it.
 */
export function migrationSummary(message: string): string {
  const lines = message.split('\n');
  const traceStart = lines.findIndex((line) => /^\s+\d+: /.test(line));
  const head = (traceStart === -1 ? lines : lines.slice(0, traceStart)).map((line) => line.trim()).filter((line) => line !== '');
  const name = /migration_name="([^"]+)"/.exec(message)?.[1];
  return `migration ${name ? `${name} ` : ''}failed: ${head.join('; ') || 'no reason given'}`;
}

/** The first non-empty line of a message. */
export function firstLine(message: string): string {
  return message.split('\n').find((line) => line.trim() !== '')?.trim() ?? message;
}
