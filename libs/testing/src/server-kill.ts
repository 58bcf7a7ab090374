/**
 * Abrupt grpc-js server stops for fakes. `forceShutdown` alone resets streams with the HTTP/2 CANCEL code, so
 * clients see CANCELLED, which looks like their own cancel. A crashed server or a lost network looks
 * different: the connection just drops and clients see UNAVAILABLE ("Connection dropped"). `drop` reproduces
 * that by destroying every HTTP/2 session without an error code before the force shutdown.
 */
import type { Http2Session } from 'node:http2';
import type { Server } from '@grpc/grpc-js';

/** How a fake dies: `drop` (connection lost: UNAVAILABLE) or `cancel` (plain forceShutdown: CANCELLED). */
export type KillMode = 'drop' | 'cancel';

/** Stops `server` at once; see {@link KillMode}. */
export function killServer(server: Server, mode: KillMode): void {
  if (mode === 'drop') {
    // grpc-js keeps its sessions in a private map; if that ever changes we fall back to forceShutdown alone.
    const sessions = (server as unknown as { sessions?: unknown }).sessions;
    if (sessions instanceof Map) for (const session of sessions.keys() as IterableIterator<Http2Session>) session.destroy();
  }
  server.forceShutdown();
}
