/**
 * A fake Hubble Relay: a real grpc-js server on loopback serving `observer.Observer/GetFlows` (plus
 * `ServerStatus` and `GetNodes`) from an in-memory history of GetFlowsResponse messages. It honours `follow`
 * (the stream stays open and receives later pushes), `since`/`until`, `number`/`first`, and writes with
 * backpressure. It can be killed mid-stream (`kill`, a force shutdown) and restarted on the same port with
 * the same history, to test resume and dedupe. Frames given as raw bytes are sent untouched (unknown fields,
 * malformed messages, pre-encoded benchmark streams).
 */
import { Server, ServerCredentials, status, type ServerWritableStream, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadHubbleApi } from '@driftwatch/collector';
import { timestampMs, type GrpcGetFlowsResponse } from './hubble-messages.js';
import type { RawFrame } from './relay-frames.js';
import { killServer, type KillMode } from './server-kill.js';

/** What the relay can send: a message object (encoded by the Observer serializer) or raw bytes. */
export type RelayMessage = GrpcGetFlowsResponse | RawFrame;

/** A GetFlows request as the relay saw it, times in epoch milliseconds. */
export interface SeenGetFlowsRequest {
  readonly follow: boolean;
  readonly since: number | undefined;
  readonly until: number | undefined;
  readonly number: number;
  readonly first: boolean;
  readonly raw: Record<string, unknown>;
}

export interface FakeHubbleRelayOptions {
  /** Messages in the relay's buffer at start. */
  readonly history?: Iterable<RelayMessage>;
  /** Port to bind on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** Listen on this Unix socket instead of a port (as a node's Hubble server does at /var/run/cilium/hubble.sock). */
  readonly socketPath?: string;
  /**
   * Messages for each GetFlows call instead of the history (benchmark mode): a fresh iterable per call,
   * streamed with backpressure and not kept in memory. `since` is not applied.
   */
  readonly source?: () => Iterable<RelayMessage>;
  /**
   * What `follow` with neither `since` nor `number` gets first. Default `true`: the whole buffer, then new
   * messages. `false`: only new messages (what the real `hubble observe -f` asks for).
   */
  readonly replayHistoryOnFollow?: boolean;
  /** Serve TLS with this certificate and key (PEM); with `clientCa`, also require a client certificate it signed. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly clientCa?: Buffer };
}

interface Entry {
  readonly payload: GrpcGetFlowsResponse | Buffer;
  readonly time: number | undefined;
}

function toEntry(message: RelayMessage): Entry {
  if ('frame' in message && Buffer.isBuffer(message.frame)) return { payload: message.frame, time: (message as RawFrame).timeMs };
  const response = message as GrpcGetFlowsResponse;
  return { payload: response, time: timestampMs(response.time) ?? timestampMs(response.flow?.['time']) };
}

function readRequest(raw: Record<string, unknown>): SeenGetFlowsRequest {
  return {
    follow: raw['follow'] === true,
    since: raw['since'] === undefined || raw['since'] === null ? undefined : timestampMs(raw['since']),
    until: raw['until'] === undefined || raw['until'] === null ? undefined : timestampMs(raw['until']),
    number: Number(raw['number'] ?? 0),
    first: raw['first'] === true,
    raw,
  };
}

/** Resolves when the stream can take more data, or when the call ends. */
function writable(call: ServerWritableStream<unknown, unknown>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off('drain', done);
      call.off('cancelled', done);
      call.off('close', done);
      call.off('error', done);
      resolve();
    };
    call.on('drain', done);
    call.on('cancelled', done);
    call.on('close', done);
    call.on('error', done);
  });
}

export class FakeHubbleRelay {
  private readonly entries: Entry[];
  private server: Server | undefined;
  private boundPort: number;
  private waiters: Array<() => void> = [];
  private readonly streams = new Set<ServerWritableStream<unknown, unknown>>();
  private readonly requestWaiters: Array<{ count: number; resolve: () => void }> = [];
  private stopping = false;
  /** Every GetFlows request received, across restarts, in order. */
  readonly requests: SeenGetFlowsRequest[] = [];

  private constructor(private readonly options: FakeHubbleRelayOptions) {
    this.entries = [...(options.history ?? [])].map(toEntry);
    this.boundPort = options.port ?? 0;
  }

  /** Starts a relay on 127.0.0.1 (an ephemeral port unless `options.port`). */
  static async start(options: FakeHubbleRelayOptions = {}): Promise<FakeHubbleRelay> {
    const relay = new FakeHubbleRelay(options);
    await relay.listen();
    return relay;
  }

  /** The bound port (stable across restarts). */
  get port(): number {
    return this.boundPort;
  }

  /** `127.0.0.1:<port>`, the target for a grpc-js client. */
  get address(): string {
    return this.options.socketPath ? `unix://${this.options.socketPath}` : `127.0.0.1:${this.boundPort}`;
  }

  /** GetFlows streams currently open. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Messages in the buffer. */
  get size(): number {
    return this.entries.length;
  }

  /** Appends messages to the buffer and delivers them to every open `follow` stream. */
  push(...messages: RelayMessage[]): void {
    for (const message of messages) this.entries.push(toEntry(message));
    this.wake();
  }

  /** Resolves once `count` GetFlows requests in total have arrived (await a client without sleeping). */
  waitForRequests(count: number): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.requestWaiters.push({ count, resolve }));
  }

  /**
   * Abrupt stop: every open stream breaks mid-flight. `drop` (default) drops the connections as a crashed
   * relay would (clients see UNAVAILABLE); `cancel` is a bare `forceShutdown` (clients see CANCELLED).
   * The history is kept for {@link restart}.
   */
  kill(mode: KillMode = 'drop'): void {
    this.stopping = true;
    if (this.server !== undefined) killServer(this.server, mode);
    this.server = undefined;
    this.streams.clear();
    this.wake();
  }

  /** Graceful stop: open streams are ended with status OK, then the server shuts down. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    for (const call of this.streams) call.end();
    this.streams.clear();
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  /** Kills the server (unless already stopped) and starts it again on the same port with the same history. */
  async restart(mode: KillMode = 'drop'): Promise<void> {
    if (this.server !== undefined) this.kill(mode);
    await this.listen();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  private nextPush(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private async listen(): Promise<void> {
    const api = loadHubbleApi();
    const base = api.Observer.service;
    const getFlows = base['GetFlows'];
    if (getFlows === undefined) throw new Error('observer.Observer/GetFlows is missing from the loaded protos');
    const service: ServiceDefinition = {
      ...base,
      GetFlows: { ...getFlows, responseSerialize: (value: unknown) => (Buffer.isBuffer(value) ? value : getFlows.responseSerialize(value)) },
    };
    const server = new Server();
    const implementation: UntypedServiceImplementation = {
      GetFlows: (call: ServerWritableStream<Record<string, unknown>, unknown>) => void this.serveGetFlows(call),
      ServerStatus: (_call: unknown, callback: (error: null, value: unknown) => void) => callback(null, this.status()),
      GetNodes: (_call: unknown, callback: (error: null, value: unknown) => void) =>
        callback(null, { nodes: [{ name: 'fake-node', version: 'driftwatch-fake-relay', address: this.address, state: 'NODE_CONNECTED' }] }),
    };
    server.addService(service, implementation);
    const target = this.options.socketPath ? `unix://${this.options.socketPath}` : `127.0.0.1:${this.boundPort}`;
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(target, this.credentials(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    if (!this.options.socketPath) this.boundPort = bound;
    this.server = server;
    this.stopping = false;
  }

  private credentials(): ServerCredentials {
    const tls = this.options.tls;
    if (!tls) return ServerCredentials.createInsecure();
    return ServerCredentials.createSsl(tls.clientCa ?? null, [{ cert_chain: tls.cert, private_key: tls.key }], tls.clientCa !== undefined);
  }

  private status(): Record<string, unknown> {
    return {
      num_flows: String(this.entries.length), max_flows: String(Math.max(4095, this.entries.length)),
      seen_flows: String(this.entries.length), uptime_ns: '1000000000', num_connected_nodes: { value: 1 },
      num_unavailable_nodes: { value: 0 }, version: 'driftwatch-fake-relay',
    };
  }

  private async serveGetFlows(call: ServerWritableStream<Record<string, unknown>, unknown>): Promise<void> {
    const request = readRequest(call.request);
    this.requests.push(request);
    for (const waiter of this.requestWaiters.filter((w) => this.requests.length >= w.count)) {
      this.requestWaiters.splice(this.requestWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    if (this.stopping) {
      call.emit('error', { code: status.UNAVAILABLE, details: 'relay stopping' });
      return;
    }
    const untyped = call as ServerWritableStream<unknown, unknown>;
    this.streams.add(untyped);
    let ended = false;
    const onEnd = (): void => {
      if (ended) return;
      ended = true;
      this.streams.delete(untyped);
      this.wake();
    };
    call.on('cancelled', onEnd);
    call.on('close', onEnd);
    const send = async (payload: unknown): Promise<boolean> => {
      if (ended || this.stopping) return false;
      // Keep up to 1 MiB queued before waiting for drain, as a real relay buffers: sender and reader overlap.
      if (!call.write(payload) && untyped.writableLength > 1 << 20) await writable(untyped);
      return !ended && !this.stopping;
    };
    if (this.options.source !== undefined) {
      for (const message of this.options.source()) if (!(await send(toEntry(message).payload))) return;
    } else if (!(await this.streamHistory(request, send))) {
      return;
    }
    if (!request.follow || ended || this.stopping) {
      if (!ended && !this.stopping) call.end();
      this.streams.delete(untyped);
      return;
    }
    if (this.options.source !== undefined) await this.waitUntilGone(() => ended || this.stopping);
  }

  private async waitUntilGone(gone: () => boolean): Promise<void> {
    while (!gone()) await this.nextPush();
  }

  /** Sends the buffer (filtered by the request), then with `follow` every later push. False once the call is gone. */
  private async streamHistory(request: SeenGetFlowsRequest, send: (payload: unknown) => Promise<boolean>): Promise<boolean> {
    const matches = (entry: Entry): boolean =>
      (request.since === undefined || entry.time === undefined || entry.time >= request.since) &&
      (request.until === undefined || entry.time === undefined || entry.time <= request.until);
    let cursor = 0;
    let limit = Number.POSITIVE_INFINITY;
    if (request.number > 0 && request.first) {
      limit = request.number;
    } else if (request.number > 0) {
      let kept = 0;
      cursor = this.entries.length;
      while (cursor > 0 && kept < request.number) if (matches(this.entries[--cursor] as Entry)) kept++;
    } else if (request.follow && request.since === undefined && this.options.replayHistoryOnFollow === false) {
      cursor = this.entries.length;
    }
    let sent = 0;
    for (;;) {
      while (cursor < this.entries.length && sent < limit) {
        const entry = this.entries[cursor++] as Entry;
        if (!matches(entry)) continue;
        if (!(await send(entry.payload))) return false;
        sent++;
      }
      if (!request.follow || sent >= limit) return true;
      await this.nextPush();
      if (this.stopping) return false;
    }
  }
}
