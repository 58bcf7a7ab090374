import { io, type Socket } from 'socket.io-client';

/** A socket.io client that records every event it receives, in order. */
export interface RecordingClient {
  readonly socket: Socket;
  readonly received: { event: string; payload: { eventId: string; type: string; alert: { id: string; srcNamespace: string | null; dstNamespace: string | null } } }[];
  subscribe(payload: unknown): Promise<{ ok: boolean; filter?: unknown; error?: string; issues?: unknown }>;
  /** Resolves when `predicate` holds for the received events (checked on each event). */
  until(predicate: (received: RecordingClient['received']) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** Connects with `auth: {token}` (or the given extra options) and resolves once connected; rejects with the connect_error. */
export function connect(url: string, token: string | undefined, options: Record<string, unknown> = {}): Promise<RecordingClient> {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...(token ? { auth: { token } } : {}), ...options });
  const received: RecordingClient['received'] = [];
  const checks = new Set<() => void>();
  socket.onAny((event: string, payload: RecordingClient['received'][number]['payload']) => {
    received.push({ event, payload });
    for (const check of checks) check();
  });
  const client: RecordingClient = {
    socket,
    received,
    subscribe: (payload) => socket.timeout(5000).emitWithAck('subscribe', payload),
    until(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(received)) return;
          checks.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          checks.delete(check);
          reject(new Error(`timed out; received ${JSON.stringify(received.map((r) => [r.event, r.payload?.eventId]))}`));
        }, timeoutMs);
        checks.add(check);
        check();
      });
    },
    close: () => socket.close(),
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(client));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}
