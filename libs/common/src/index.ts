/**
 * @driftwatch/common: small pieces every room may use, beside the import chain like config: the Logger seam
 * (backed by pino: JSON or text lines, fields of the current request), terminal-safe text for anything that
 * came from input, the one Backoff every retry loop uses, and the one seeded PRNG.
 * No I/O beyond the log sink (stderr), no framework.
 */
export {
  createLogger, LOG_FORMATS, LOG_LEVELS, memoryLogger, resolveLogFormat, silentLogger, StructuredLogger,
  type LogFormat, type Logger, type LoggerOptions, type LogLevelName,
} from './logger.js';
export { currentLogContext, withLogContext, type LogFields } from './log-context.js';
export { formatTextLine } from './log-text.js';
export { printable } from './printable.js';
export { Backoff, delay } from './backoff.js';
export { Prng } from './prng.js';
