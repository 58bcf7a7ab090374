import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Logger, type INestApplication } from '@nestjs/common';
import { withLogContext } from '@driftwatch/common';

/** The request id header: accepted from the caller when sane, else made; always echoed in the response. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** An id a caller may choose: 1 to 128 printable ASCII characters, no spaces (it goes into every log line). */
const SANE_ID = /^[\x21-\x7e]{1,128}$/;

/** The request id of an incoming `x-request-id` value when it is sane, else a new UUID. */
export function requestIdFrom(header: string | string[] | undefined): string {
  return typeof header === 'string' && SANE_ID.test(header) ? header : randomUUID();
}

/** Longest path written in a log line (a caller chooses it; Node lets a URL reach 16 KiB). */
const MAX_LOGGED_PATH = 512;

/** Paths asked every few seconds by probes and scrapers: their lines are at debug level, not log. */
const QUIET_PATHS = new Set(['/metrics', '/api/v1/health']);

/**
 * Gives every HTTP request an id (`x-request-id`: the caller's when sane, else a UUID), echoes it in the response
 * header, runs the rest of the request in a log context carrying it (every log line written while handling the
 * request has `reqId`), and writes one line when the response is finished: `<method> <path>` with `status` and
 * `ms` (and `aborted` when the caller left first).
 */
export class RequestContextMiddleware {
  private readonly log = new Logger('HTTP');

  readonly use = (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: () => void): void => {
    const reqId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, reqId);
    const started = performance.now();
    const whole = (req.originalUrl ?? req.url ?? '/').split('?')[0] ?? '/';
    const path = whole.length > MAX_LOGGED_PATH ? `${whole.slice(0, MAX_LOGGED_PATH)}…` : whole; // the query is never logged
    // 'close' also comes when the caller went away before the answer was complete (then `aborted`).
    res.once('close', () => {
      const ms = Math.round(performance.now() - started);
      const aborted = !res.writableFinished;
      const status = res.statusCode;
      const line = { msg: `${req.method ?? '-'} ${path}`, status, ms, ...(aborted ? { aborted } : {}) };
      withLogContext({ reqId }, () => (QUIET_PATHS.has(path) ? this.log.debug(line) : this.log.log(line)));
    });
    withLogContext({ reqId }, next);
  };
}

/**
 * Installs {@link RequestContextMiddleware} on the application's HTTP server, in front of every route (the API's,
 * those outside its prefix, and paths that match none), before the app listens.
 */
export function useRequestContext(app: INestApplication): void {
  app.use(new RequestContextMiddleware().use);
}
