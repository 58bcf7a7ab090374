import { printable } from './printable.js';

/** Log levels, most severe first (the same names as `LOG_LEVEL` and Nest's logger). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/**
 * Where a library writes what it has to say. One line per call, without a trailing newline; the sink adds the
 * time and level, filters by `LOG_LEVEL`, and escapes control characters (messages often quote input).
 */
export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  /** Ordinary progress: started, listening, resumed, reloaded. */
  log(message: string): void;
  debug(message: string): void;
}

export interface LoggerOptions {
  /** Lines below this level are dropped (default `log`). */
  readonly level?: LogLevelName;
  /** Where finished lines go (default: process.stderr). */
  readonly write?: (line: string) => void;
  /** Prefix each line with the time and level (default true). The CLI's one-line errors pass false. */
  readonly stamp?: boolean;
  /** Clock for the stamp, for tests. */
  readonly now?: () => Date;
}

/** A Logger that writes stamped, escaped lines at or above `level`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? 'log');
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const stamp = options.stamp ?? true;
  const now = options.now ?? (() => new Date());
  const at = (level: LogLevelName) => (message: string) => {
    if (LOG_LEVELS.indexOf(level) > threshold) return;
    const text = printable(message);
    write(stamp ? `${now().toISOString()} ${level.toUpperCase().padEnd(5)} ${text}\n` : `${text}\n`);
  };
  return { error: at('error'), warn: at('warn'), log: at('log'), debug: at('debug') };
}

/** A Logger that drops everything (libraries' default when the caller passes none). */
export const silentLogger: Logger = { error() {}, warn() {}, log() {}, debug() {} };

/** A Logger that keeps each message as `level: message` in an array, for tests. */
export function memoryLogger(lines: string[] = []): Logger & { readonly lines: string[] } {
  const keep = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, error: keep('error'), warn: keep('warn'), log: keep('log'), debug: keep('debug') };
}
