import { STATUS_CODES, type ServerResponse } from 'node:http';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { BaseWsExceptionFilter } from '@nestjs/websockets';
import type { ErrorBody, FieldIssue, ValidationErrorBody } from '@driftwatch/contracts';

/** What the filter needs to word its answers. */
export interface ErrorWording {
  /** HTTP_BODY_LIMIT, in bytes, named in 413 answers. */
  readonly bodyLimitBytes: number;
}

/**
 * Every error of an HTTP route, whoever raised it (a controller, a guard, a pipe, the body parsers, the router),
 * answered in the one shape: `{statusCode, error, message}`, and for 400 also `issues: [{path, message}]`. A 400
 * without issues (a body that is not JSON, a path that is not valid percent-encoding) gets one issue at `(root)`.
 * An answer that is not an error (health's 503 report) passes unchanged. Anything not an HttpException is a 500
 * that says nothing about the server, and is logged.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly log = new Logger('HTTP');
  private readonly ws = new BaseWsExceptionFilter();

  constructor(private readonly wording: ErrorWording) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') {
      // socket.io handlers (if a gateway ever uses @SubscribeMessage) keep Nest's own answer
      if (host.getType() === 'ws') this.ws.catch(exception, host);
      return;
    }
    const response = host.switchToHttp().getResponse<ServerResponse>();
    const { status, body } = errorAnswer(exception, this.wording);
    if (status >= 500 && !(exception instanceof HttpException)) {
      this.log.error(`unhandled error: ${exception instanceof Error ? (exception.stack ?? exception.message) : String(exception)}`);
    }
    if (response.headersSent) {
      // a streamed answer failed half-way: the client must see a cut, not a well-formed end
      response.destroy();
      return;
    }
    const text = JSON.stringify(body);
    response.statusCode = status;
    response.setHeader('content-type', 'application/json; charset=utf-8');
    response.setHeader('content-length', Buffer.byteLength(text));
    response.end(text);
  }
}

/** The status and body answering `exception`. */
export function errorAnswer(exception: unknown, wording: ErrorWording): { status: number; body: unknown } {
  if (!(exception instanceof HttpException)) {
    return { status: 500, body: { statusCode: 500, error: 'Internal Server Error', message: 'internal error (see the server log)' } satisfies ErrorBody };
  }
  const status = exception.getStatus();
  const raw = exception.getResponse();
  const given = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : { message: raw };
  if (!('message' in given)) return { status, body: raw };
  const message = textOf(given['message']);
  if (status === 400) return { status, body: badRequest(given, message, exception.cause) };
  const error = typeof given['error'] === 'string' ? given['error'] : (STATUS_CODES[status] ?? 'Error');
  // Fields a route adds to its error (a 422's `problems`) are part of its contract and kept.
  const { statusCode: _s, error: _e, message: _m, ...extra } = given;
  const body: ErrorBody = { ...extra, statusCode: status, error, message: status === 413 ? tooLarge(exception, message, wording) : message };
  return { status, body };
}

function badRequest(given: Record<string, unknown>, message: string, cause: unknown): ValidationErrorBody {
  const issues = given['issues'];
  if (Array.isArray(issues) && issues.every(isFieldIssue) && issues.length > 0) return { statusCode: 400, error: 'Bad Request', message, issues };
  const reason = cause instanceof SyntaxError ? `the body is not valid JSON (${cause.message})` : message;
  return { statusCode: 400, error: 'Bad Request', message: `invalid request: (root): ${reason}`, issues: [{ path: '(root)', message: reason }] };
}

/**
 * A 413's message: a route's own words when it refused the body itself; else the limit the body parser applied
 * (HTTP_BODY_LIMIT for JSON; YAML policy uploads have a larger one).
 */
function tooLarge(exception: HttpException, message: string, wording: ErrorWording): string {
  const parserLimit = [exception.cause, exception].map((e) => (e as { limit?: unknown } | undefined)?.limit).find((l) => typeof l === 'number');
  const fromParser = parserLimit !== undefined || /^(request entity too large|payload too large)$/i.test(message);
  if (!fromParser) return message;
  const limit = typeof parserLimit === 'number' ? parserLimit : wording.bodyLimitBytes;
  return limit === wording.bodyLimitBytes
    ? `the request body is larger than ${limit} bytes (HTTP_BODY_LIMIT)`
    : `the request body is larger than ${limit} bytes (the limit of this body type)`;
}

function textOf(message: unknown): string {
  if (typeof message === 'string') return message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return message === undefined ? '' : JSON.stringify(message);
}

function isFieldIssue(value: unknown): value is FieldIssue {
  const v = value as Partial<FieldIssue> | null;
  return typeof v === 'object' && v !== null && typeof v.path === 'string' && typeof v.message === 'string';
}
