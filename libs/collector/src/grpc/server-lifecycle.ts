/** Binding and stopping the gRPC servers Driftwatch runs (the Felix FlowCollector and our Ingest API). */
import { isIP } from 'node:net';
import { ServerCredentials, type Server } from '@grpc/grpc-js';

const BIND_REASONS: readonly (readonly [string, string])[] = [
  ['EADDRINUSE', 'address already in use'],
  ['EACCES', 'permission denied'],
  ['EADDRNOTAVAIL', 'address not available on this host'],
  ['ENOTFOUND', 'unknown host'],
  ['EAI_AGAIN', 'unknown host'],
];

/**
 * Binds `server` to `listen` (`host:port`; port 0 picks a free one) and resolves with the bound port. A failure
 * rejects with one line a person can act on: `cannot listen on 127.0.0.1:7443: address already in use`.
 */
export function bindServer(server: Server, listen: string, credentials = ServerCredentials.createInsecure()): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, credentials, (error, port) => {
      if (!error) return resolve(port);
      const known = BIND_REASONS.find(([code]) => error.message.includes(code));
      reject(new Error(`cannot listen on ${listen}: ${known ? known[1] : error.message}`, { cause: error }));
    });
  });
}

/**
 * Stops `server` gracefully (no new calls; calls still open may finish), and forcibly after `graceMs`. The
 * caller ends its long-lived calls first, so the graceful path normally completes at once.
 */
export function shutdownServer(server: Server, graceMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * The peer's IP from grpc-js `call.getPeer()` (`10.0.0.5:41234`, `::1:41234`, IPv6 without brackets), with
 * IPv4-mapped IPv6 shown as IPv4; `unknown` (a unix socket) stays as it is.
 */
export function peerAddress(peer: string): string {
  let host = peer.replace(/^ipv[46]:/, '');
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end > 0) host = host.slice(1, end);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon > 0 && /^\d+$/.test(host.slice(colon + 1)) && isIP(host.slice(0, colon)) !== 0) host = host.slice(0, colon);
  }
  return host.startsWith('::ffff:') && host.includes('.') ? host.slice('::ffff:'.length) : host;
}
