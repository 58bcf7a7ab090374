import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hasBearerToken } from './bearer.js';
import type { DriftwatchMetrics } from './driftwatch-metrics.js';

export interface MetricsServerOptions {
  /** `host:port` to listen on; port 0 picks a free one. */
  readonly listen: string;
  readonly metrics: DriftwatchMetrics;
  /** When set, a scrape must send `Authorization: Bearer <token>`. */
  readonly token?: string;
}

/** A running metrics server: the address it is bound to, and `close`. */
export interface MetricsServer {
  readonly address: string;
  close(): Promise<void>;
}

function split(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  return { host: listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(colon + 1)) };
}

function reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ statusCode: status, error: status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Method Not Allowed', message }));
}

/**
 * Serves `GET /metrics` (Prometheus text) on its own port, for a process without the API (`collect`); the same
 * answers as the API's `/metrics`: 401 without the bearer token when one is set, 404 for any other path.
 * Rejects with `cannot listen on <listen>: <reason>` when the address cannot be bound.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') return reply(res, 404, `no route ${req.method ?? ''} ${path ?? ''}; metrics are at /metrics`);
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'use GET', { allow: 'GET, HEAD' });
    if (options.token !== undefined && !hasBearerToken(req.headers.authorization, options.token)) {
      return reply(res, 401, 'metrics need the METRICS_TOKEN: send Authorization: Bearer <token>', { 'www-authenticate': 'Bearer' });
    }
    options.metrics.render().then(
      (text) => {
        res.writeHead(200, { 'content-type': options.metrics.contentType });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: Error) => {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`cannot collect metrics: ${error.message}\n`);
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  const { host, port } = split(options.listen);
  await new Promise<void>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'EADDRINUSE' ? 'address already in use' : error.code === 'EACCES' ? 'permission denied' : error.message;
      reject(new Error(`cannot listen on ${options.listen}: ${reason}`));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  return {
    address: `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
