import { pino, type Logger as PinoLogger } from 'pino';
import { currentLogContext, type LogFields } from './log-context.js';
import { formatTextLine } from './log-text.js';
import { printable } from './printable.js';

/** Log levels, most severe first (the same names as `LOG_LEVEL` and Nest's logger). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** How log lines are written: one JSON object per line, or one readable line (time, level, message, fields). */
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

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
  /** Where finished lines go, each ending with a newline (default: process.stderr). */
  readonly write?: (line: string) => void;
  /** `json` (one object per line) or `text` (default): see {@link resolveLogFormat} for choosing by terminal. */
  readonly format?: LogFormat;
  /** Text lines: prefix each with the time and level (default true). The CLI's one-line messages pass false. */
  readonly stamp?: boolean;
  /** Clock for the time of each line, for tests. */
  readonly now?: () => Date;
  /** Fields on every line of this logger (a component name, a source id). */
  readonly fields?: LogFields;
}

/**
 * `json` or `text` for a setting of `auto`, `json` or `text`: `auto` is text when the stream the lines go to is
 * a terminal (a person reads them) and JSON otherwise (a container runtime or a log shipper reads them).
 */
export function resolveLogFormat(setting: LogFormat | 'auto', stream: { readonly isTTY?: boolean } = process.stderr): LogFormat {
  if (setting !== 'auto') return setting;
  return stream.isTTY === true ? 'text' : 'json';
}

/** Our level names as pino's (JSON lines carry these: `log` is `info`, `verbose` is `trace`). */
const PINO_LEVEL: Readonly<Record<LogLevelName, pino.Level>> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/**
 * The process's logger: the {@link Logger} seam every library takes, backed by pino, with the two levels Nest
 * also uses (`fatal`, `verbose`), fields per line (`child`), and the fields of the current request or task
 * (see {@link withLogContext}) on every line written inside it. Messages are escaped with {@link printable} in
 * both formats, so input quoted in a message can neither forge a line nor drive a terminal. Writes are
 * synchronous: nothing is lost when the CLI calls `process.exit` right after a line.
 */
export class StructuredLogger implements Logger {
  /** The same logger at the lowest level, for {@link notice}. */
  private readonly always: PinoLogger;

  private constructor(private readonly pino: PinoLogger) {
    this.always = pino.child({ notice: true }, { level: 'trace' });
  }

  /** See {@link createLogger}. */
  static create(options: LoggerOptions = {}): StructuredLogger {
    const write = options.write ?? ((line: string) => void process.stderr.write(line));
    const now = options.now ?? (() => new Date());
    const format = options.format ?? 'text';
    const stamp = options.stamp ?? true;
    const destination = { write: format === 'json' ? write : (line: string) => write(formatTextLine(line, stamp)) };
    const logger = pino(
      {
        level: PINO_LEVEL[options.level ?? 'log'],
        base: null,
        messageKey: 'msg',
        timestamp: () => `,"time":"${now().toISOString()}"`,
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => currentLogContext() ?? {},
      },
      destination,
    );
    return new StructuredLogger(options.fields ? logger.child(options.fields) : logger);
  }

  fatal(message: string, fields?: LogFields): void {
    this.write('fatal', message, fields);
  }

  error(message: string, fields?: LogFields): void {
    this.write('error', message, fields);
  }

  warn(message: string, fields?: LogFields): void {
    this.write('warn', message, fields);
  }

  log(message: string, fields?: LogFields): void {
    this.write('log', message, fields);
  }

  debug(message: string, fields?: LogFields): void {
    this.write('debug', message, fields);
  }

  verbose(message: string, fields?: LogFields): void {
    this.write('verbose', message, fields);
  }

  /**
   * A line the command always writes, whatever LOG_LEVEL (the database in use, `stopping`, progress): a bare
   * message in text (no time or level, as a command's own line), an `info` line with `"notice":true` in JSON.
   */
  notice(message: string, fields?: LogFields): void {
    if (fields) this.always.info(fields, printable(message));
    else this.always.info(printable(message));
  }

  /** Whether a line at `level` would be written (skip building costly messages when not). */
  enabled(level: LogLevelName): boolean {
    return this.pino.isLevelEnabled(PINO_LEVEL[level]);
  }

  /** One line at `level`, with `fields` beside the message (JSON keys; `key=value` after a text line). */
  write(level: LogLevelName, message: string, fields?: LogFields): void {
    const at = PINO_LEVEL[level];
    if (!this.pino.isLevelEnabled(at)) return;
    if (fields) this.pino[at](fields, printable(message));
    else this.pino[at](printable(message));
  }

  /** A logger whose every line carries `fields` too. */
  child(fields: LogFields): StructuredLogger {
    return new StructuredLogger(this.pino.child(fields));
  }
}

/**
 * A {@link Logger} (a {@link StructuredLogger}) that writes lines at or above `level`: readable text with the
 * time and level by default, JSON lines with `format: 'json'`.
 */
export function createLogger(options: LoggerOptions = {}): StructuredLogger {
  return StructuredLogger.create(options);
}

/** A Logger that drops everything (libraries' default when the caller passes none). */
export const silentLogger: Logger = { error() {}, warn() {}, log() {}, debug() {} };

/** A Logger that keeps each message as `level: message` in an array, for tests. */
export function memoryLogger(lines: string[] = []): Logger & { readonly lines: string[] } {
  const keep = (level: string) => (message: string) => void lines.push(`${level}: ${message}`);
  return { lines, error: keep('error'), warn: keep('warn'), log: keep('log'), debug: keep('debug') };
}
