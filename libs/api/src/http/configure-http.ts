import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod, UnsupportedMediaTypeException, type INestApplicationContext } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { IoAdapter } from '@nestjs/platform-socket.io';
import helmet from 'helmet';
import { metricsRoutes, pageRoutes, POLICY_UPLOAD_MAX_BYTES, type RouteContract } from '@driftwatch/contracts';
import type { Server, ServerOptions } from 'socket.io';
import { useRequestContext } from '../logging/request-context.middleware.js';
import { ApiExceptionFilter } from './api-exception.filter.js';

/** The prefix of every REST route. */
export const API_PREFIX = 'api/v1';

/**
 * The routes served outside the prefix, at the root: the live page (`/`, `/ui/...`, which hold no data) and
 * `/metrics` (where Prometheus looks by default). Their contracts give the paths, so the list cannot drift.
 */
export const ROUTES_OUTSIDE_PREFIX: readonly RouteContract[] = [...pageRoutes, ...metricsRoutes];

const NEST_METHOD = {
  get: RequestMethod.GET, post: RequestMethod.POST, put: RequestMethod.PUT, patch: RequestMethod.PATCH, delete: RequestMethod.DELETE,
} as const;

/** Default of HTTP_BODY_LIMIT: 1 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

/** Body types the app parses: JSON everywhere; YAML (as text) for the routes that take manifests. */
export const JSON_CONTENT_TYPES = ['application/json', 'application/*+json'] as const;
export const YAML_CONTENT_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'] as const;

/** HTTP settings of the app (from the configuration). */
export interface HttpOptions {
  /** HTTP_BODY_LIMIT: the largest request body, in bytes (default 1 MiB). */
  readonly bodyLimitBytes?: number;
  /** CORS_ORIGINS: origins a browser may call the API from; none (the default): CORS stays off. */
  readonly corsOrigins?: readonly string[];
}

/** Response headers a browser on an allowed origin may read. */
const EXPOSED_HEADERS = ['Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset', 'Content-Disposition'];

/**
 * The one HTTP setup of the app, applied by `createApp` and by the tests' `startApi` alike, before `listen`:
 * - a request id on every request, and one log line per request (`useRequestContext`), first, so that even a
 *   request refused by the body parsers or helmet has its id;
 * - the `/api/v1` prefix (not on {@link ROUTES_OUTSIDE_PREFIX}: the live page and `/metrics`);
 * - security headers (helmet) with a Content-Security-Policy that lets pages of this origin (the docs page, a
 *   dashboard at `/`) load scripts, styles and images from the same origin only and connect back to it
 *   (fetch, socket.io); no inline scripts, no framing, no plugins;
 * - CORS only for the configured origins (bearer keys, no cookies), socket.io included;
 * - request bodies: JSON (`application/json`, `+json`) and YAML (as text) up to the body limit (413 beyond);
 *   a body of any other type is refused with 415 before it is read;
 * - the one error shape for every error, including malformed JSON and the parsers' own errors.
 */
export function configureHttp(app: NestExpressApplication, options: HttpOptions = {}): void {
  const limit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const origins = options.corsOrigins ?? [];
  useRequestContext(app);
  app.setGlobalPrefix(API_PREFIX, { exclude: ROUTES_OUTSIDE_PREFIX.map((route) => ({ path: route.path, method: NEST_METHOD[route.method] })) });
  app.disable('x-powered-by');
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          'default-src': ["'self'"],
          'base-uri': ["'self'"],
          'connect-src': ["'self'"],
          'font-src': ["'self'", 'data:'],
          'form-action': ["'self'"],
          'frame-ancestors': ["'none'"],
          'img-src': ["'self'", 'data:'],
          'object-src': ["'none'"],
          'script-src': ["'self'"],
          'script-src-attr': ["'none'"],
          // Swagger UI sets style attributes; styles cannot run code
          'style-src': ["'self'", "'unsafe-inline'"],
        },
      },
      // whether the API is reached over TLS is the TLS terminator's business (and its HSTS header)
      strictTransportSecurity: false,
      crossOriginResourcePolicy: { policy: origins.length > 0 ? 'cross-origin' : 'same-origin' },
    }),
  );
  if (origins.length > 0) {
    const cors = {
      origin: [...origins],
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      exposedHeaders: EXPOSED_HEADERS,
      credentials: false,
      maxAge: 600,
    };
    app.enableCors(cors);
    app.useWebSocketAdapter(new CorsIoAdapter(app, { origin: [...origins], methods: ['GET', 'POST'], credentials: false }));
  }
  app.use(refuseUnknownBodyTypes);
  app.useBodyParser('json', { limit, type: [...JSON_CONTENT_TYPES] });
  // YAML (policy uploads) as raw bytes, so the route can refuse text that is not UTF-8 instead of decoding it
  // with replacement characters; manifests may be larger than a JSON request (POLICY_UPLOAD_MAX_BYTES).
  app.useBodyParser('raw', { limit: Math.max(limit, POLICY_UPLOAD_MAX_BYTES), type: [...YAML_CONTENT_TYPES] });
  app.useGlobalFilters(new ApiExceptionFilter({ bodyLimitBytes: limit }));
}

/** True when `type` (a media type without parameters) is one the app parses. */
export function isAcceptedBodyType(type: string): boolean {
  if (type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))) return true;
  return (YAML_CONTENT_TYPES as readonly string[]).includes(type);
}

/** 415 for a request that carries a body of a type no parser takes (or of no type), before it is read. */
function refuseUnknownBodyTypes(request: IncomingMessage, _response: ServerResponse, next: (error?: unknown) => void): void {
  const length = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return next();
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (isAcceptedBodyType(type)) return next();
  next(
    new UnsupportedMediaTypeException(
      type === ''
        ? 'a request body needs a Content-Type: send application/json'
        : `a body of type ${type} is not accepted: send application/json (or YAML where a route takes manifests)`,
    ),
  );
}

/** socket.io with the same allowed origins as the REST API. */
class CorsIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly cors: NonNullable<ServerOptions['cors']>,
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    return super.createIOServer(port, { ...options, cors: this.cors } as ServerOptions);
  }
}
