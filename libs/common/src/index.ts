/**
 * @driftwatch/common: small pieces every room may use, beside the import chain like config: the Logger seam,
 * terminal-safe text for anything that came from input, the one Backoff every retry loop uses, and the one seeded
 * PRNG.
 * No I/O beyond the default log sink (stderr), no framework.
 */
export { createLogger, LOG_LEVELS, memoryLogger, silentLogger, type Logger, type LoggerOptions, type LogLevelName } from './logger.js';
export { printable } from './printable.js';
export { Backoff, delay } from './backoff.js';
export { Prng } from './prng.js';
