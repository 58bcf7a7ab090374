/**
 * Protection of the gRPC servers flows are pushed to (Felix's FlowCollector, our Ingest API): who may push
 * (mutual TLS, a bearer token, or loopback only), and limits that keep idle, silent or stalled peers from
 * holding memory and sockets.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { Server as NetServer, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';

/** Limits of a push server. Every field has a default (see {@link DEFAULT_SERVER_LIMITS}). */
export interface ServerLimits {
  /** Open connections at once; more are closed as they arrive. */
  readonly maxConnections: number;
  /** Concurrent streams per connection (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS). */
  readonly maxStreamsPerConnection: number;
  /**
   * Largest message accepted, in bytes; a frame announcing more is refused at its 5-byte header, so no stream
   * ever buffers more than this of an unfinished message.
   */
  readonly maxMessageBytes: number;
  /** A connection without an open stream (or one that never speaks HTTP/2) is closed after this long. */
  readonly idleTimeoutMs: number;
  /** The server pings a connection that was silent this long… */
  readonly keepaliveTimeMs: number;
  /** …and closes it when the ping is not answered within this long. */
  readonly keepaliveTimeoutMs: number;
}

/**
 * Defaults: 64 connections of 4 streams, 1 MiB per message (a Hubble or Goldmane flow is a few KiB), so the
 * bytes held in unfinished messages stay under 256 MiB whatever peers do; idle connections closed after 5
 * minutes; a ping after 1 minute of silence, answered within 20 s.
 */
export const DEFAULT_SERVER_LIMITS: ServerLimits = Object.freeze({
  maxConnections: 64,
  maxStreamsPerConnection: 4,
  maxMessageBytes: 1024 * 1024,
  idleTimeoutMs: 5 * 60_000,
  keepaliveTimeMs: 60_000,
  keepaliveTimeoutMs: 20_000,
});

/** grpc-js server options implementing `limits` (with {@link guardConnections} for what grpc-js lacks). */
export function serverOptions(limits: ServerLimits): grpc.ServerOptions {
  return {
    'grpc.max_concurrent_streams': limits.maxStreamsPerConnection,
    'grpc.max_receive_message_length': limits.maxMessageBytes,
    'grpc.max_connection_idle_ms': limits.idleTimeoutMs,
    'grpc.keepalive_time_ms': limits.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': limits.keepaliveTimeoutMs,
    // Bytes nghttp2 may hold per connection (unacknowledged frames, headers) before refusing new streams.
    'grpc-node.max_session_memory': 8,
  };
}

/**
 * What grpc-js does not do by itself, set on the `net.Server`s a bound grpc-js server listens with: a cap on
 * open connections (`maxConnections`: Node closes a connection beyond it as it arrives), and closing a
 * connection that has had no open stream for `idleTimeoutMs`, including one that never said a word (grpc-js's
 * own idle timeout only sends GOAWAY, which a silent peer ignores, so its socket would stay open). Returns
 * false if grpc-js's internals changed and neither could be set (the caller logs it).
 */
export function guardConnections(server: grpc.Server, limits: Pick<ServerLimits, 'maxConnections' | 'idleTimeoutMs'>): boolean {
  const listeners = (server as unknown as { http2Servers?: Map<unknown, unknown> }).http2Servers;
  if (!(listeners instanceof Map) || listeners.size === 0) return false;
  for (const listener of listeners.keys()) {
    if (!(listener instanceof NetServer)) return false;
    listener.maxConnections = limits.maxConnections;
    closeIdleConnections(listener, limits.idleTimeoutMs);
  }
  return true;
}

/** One connection's socket and how many streams it has open. */
interface Watched {
  readonly socket: Socket;
  open: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Destroys each TCP connection of `listener` that has had no open stream for `idleMs` (since it was accepted,
 * or since its last stream ended). The socket itself is destroyed: Node's `Http2Session.destroy()` leaves the
 * socket of a session that never received the HTTP/2 preface open. A session is matched to its socket by the
 * peer's address and port (for TLS, the session only appears after the handshake).
 */
function closeIdleConnections(listener: NetServer, idleMs: number): void {
  const byPeer = new Map<string, Watched>();
  const arm = (watched: Watched) => {
    watched.timer = setTimeout(() => watched.socket.destroy(), idleMs);
    watched.timer.unref();
  };
  listener.on('connection', (socket: Socket) => {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    const watched: Watched = { socket, open: 0, timer: undefined };
    arm(watched);
    byPeer.set(key, watched);
    socket.once('close', () => {
      clearTimeout(watched.timer);
      if (byPeer.get(key) === watched) byPeer.delete(key);
    });
  });
  listener.on('session', (session: ServerHttp2Session) => {
    const key = `${session.socket?.remoteAddress}:${session.socket?.remotePort}`;
    // A plaintext session is announced before the listener's own 'connection' handlers have all run.
    queueMicrotask(() => {
      const watched = byPeer.get(key);
      if (!watched) return;
      session.on('stream', (stream: ServerHttp2Stream) => {
        watched.open += 1;
        clearTimeout(watched.timer);
        stream.once('close', () => {
          watched.open -= 1;
          if (watched.open === 0 && !watched.socket.destroyed) arm(watched);
        });
      });
    });
  });
}

/** Whether `host` (of a `host:port` listen address) is a loopback address only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) || /^::ffff:127\./.test(bare);
}

/** The host part of `host:port` (IPv6 in brackets kept as is). */
export function listenHost(listen: string): string {
  return listen.slice(0, listen.lastIndexOf(':'));
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * A server interceptor that ends every call whose `authorization` metadata is not `Bearer <token>` with
 * UNAUTHENTICATED before any message reaches the handler. The comparison takes the same time whatever the
 * presented value (both sides hashed, then compared with `timingSafeEqual`).
 */
export function bearerTokenInterceptor(token: string, onRefused: (peer: string) => void): grpc.ServerInterceptor {
  const expected = digest(`Bearer ${token}`);
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) => {
        next({
          onReceiveMetadata: (metadata, pass) => {
            const presented = metadata.get('authorization')[0];
            if (typeof presented === 'string' && timingSafeEqual(digest(presented), expected)) {
              pass(metadata);
              return;
            }
            onRefused(call.getPeer());
            call.sendStatus({
              code: grpc.status.UNAUTHENTICATED,
              details: presented === undefined ? 'a bearer token is required (authorization: Bearer <token>)' : 'the bearer token is not valid',
            });
          },
        });
      },
    });
}
