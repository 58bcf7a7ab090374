import type { LoggerService, LogLevel as NestLogLevel } from '@nestjs/common';
import type { LogFields, LogLevelName, StructuredLogger } from '@driftwatch/common';

const STACK_LINE = /\n\s+at /;

/**
 * Nest's LoggerService over the process's one logger (pino): Nest's own lines and those of `new Logger(ctx)`
 * in controllers and gateways come out in the same format, at the same LOG_LEVEL, with the request id of the
 * request they belong to. Nest's context becomes the `context` field; an error's stack the `stack` field. A
 * message given as an object with a `msg` key is written with its other keys as fields.
 */
export class NestLogger implements LoggerService {
  constructor(private readonly logger: StructuredLogger) {}

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Levels are LOG_LEVEL's, fixed at start: Nest's request to change them is ignored. */
  setLogLevels(_levels: NestLogLevel[]): void {}

  private write(level: LogLevelName, message: unknown, params: unknown[]): void {
    if (!this.logger.enabled(level)) return;
    const strings = params.filter((p): p is string => typeof p === 'string');
    const last = params.at(-1);
    // Nest passes (message, context), (message, stack, context) or (message, stack) for errors.
    const context = typeof last === 'string' && (params.length >= 2 || !STACK_LINE.test(last)) ? last : undefined;
    let stack = strings.find((p) => p !== context && STACK_LINE.test(p));
    let text: string;
    let extra: Record<string, unknown> = {};
    if (message instanceof Error) {
      text = message.message;
      stack ??= message.stack;
    } else if (typeof message === 'object' && message !== null && typeof (message as { msg?: unknown }).msg === 'string') {
      const { msg, ...rest } = message as { msg: string };
      text = msg;
      extra = rest;
    } else {
      text = typeof message === 'string' ? message : JSON.stringify(message) ?? String(message);
    }
    const fields: Record<string, unknown> = { ...extra };
    if (context !== undefined) fields['context'] = context;
    if (stack !== undefined) fields['stack'] = stack;
    this.logger.write(level, text, Object.keys(fields).length > 0 ? (fields as LogFields) : undefined);
  }
}
