/**
 * A TCP proxy on 127.0.0.1 that can stall: {@link StallingProxy.stall} stops forwarding on every open
 * connection in both directions without closing anything (a proxy or NAT that lost its state, a node that
 * froze), while new connections are forwarded normally. For testing that a client tells a stall from silence.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class StallingProxy {
  private readonly pairs = new Set<readonly [Socket, Socket]>();
  private readonly stalled: Socket[] = [];

  private constructor(
    private readonly server: Server,
    private readonly target: { readonly host: string; readonly port: number },
  ) {
    server.on('connection', (client) => this.forward(client));
  }

  /** Listens on an ephemeral port of 127.0.0.1 and forwards each connection to `host:port`. */
  static start(targetPort: number, targetHost = '127.0.0.1'): Promise<StallingProxy> {
    const server = createServer();
    const proxy = new StallingProxy(server, { host: targetHost, port: targetPort });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(proxy));
    });
  }

  /** `127.0.0.1:<port>`. */
  get address(): string {
    return `127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  /** Connections forwarded now (stalled ones excluded). */
  get connections(): number {
    return this.pairs.size;
  }

  /** Connections ever accepted. */
  accepted = 0;

  /**
   * Every open connection stops forwarding, both ways: bytes are no longer read from either side, nothing is
   * closed. Connections made afterwards are forwarded normally.
   */
  stall(): void {
    for (const pair of this.pairs) {
      const [client, upstream] = pair;
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
      this.stalled.push(client, upstream);
    }
    this.pairs.clear();
  }

  /** Closes the listener and every connection, stalled ones included. */
  close(): Promise<void> {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    for (const socket of this.stalled) socket.destroy();
    this.pairs.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket): void {
    this.accepted += 1;
    const upstream = createConnection(this.target.port, this.target.host);
    const pair = [client, upstream] as const;
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
