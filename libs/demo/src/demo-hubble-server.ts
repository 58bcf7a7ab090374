/**
 * The built-in demo source: a Hubble API server (`observer.Observer`: GetFlows, ServerStatus, GetNodes) on
 * loopback that plays the shop's traffic ({@link shopTraffic}) in real time, so that `driftwatch serve` with no
 * source configured shows the product at work through the very path a real Hubble Relay takes (gRPC, the Hubble
 * client, the pipeline, the drift detector).
 *
 * It behaves as a Hubble server does for a collector: `follow` streams new flows; `since` and `number` replay from
 * a ring buffer of the last 4095 flows (Hubble's default capacity) before following; a reader that falls behind loses
 * flows and is told so with a `lost_events` message (source HUBBLE_RING_BUFFER) once it catches up, and so does
 * every reader at the bursts `lossEveryMs` plays. Flow filters
 * (`whitelist`, `blacklist`) are refused: nothing here needs them.
 */
import { Server, ServerCredentials, status, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { loadHubbleApi } from '@driftwatch/collector';
import { shopTraffic, type DemoEvent, type DemoResponse } from './shop-traffic.js';

export interface DemoHubbleServerOptions {
  /** What happens (see {@link shopTraffic}); default 1. */
  readonly seed?: number;
  /** Mean flows per second (default 50). */
  readonly flowsPerSecond?: number;
  /** Flow time between two drift connections (default 5000 ms). */
  readonly driftEveryMs?: number;
  /** Flow time of the first drift after the start (default 2000 ms). */
  readonly firstDriftAfterMs?: number;
  /** Port on 127.0.0.1 (default 0: any free one). */
  readonly port?: number;
  /** Flows kept for `since` and `number` (default 4095). */
  readonly bufferSize?: number;
  /**
   * Flow time between two moments when the node's ring buffer overflows under a burst (default: never): the
   * next `lossFlows` flows reach no reader, and each is told with a `lost_events` message, as Hubble does, so the
   * loss accounting (`/api/v1/collectors`, the page's gaps, `driftwatch_lost_events_total`) has something to show.
   */
  readonly lossEveryMs?: number;
  /** Flows lost at each of those moments (default 8). */
  readonly lossFlows?: number;
  /** Clock, epoch ms (default Date.now); the traffic starts at its value when the server starts. */
  readonly now?: () => number;
}

/** Messages a stream may hold unsent (grpc-js streams count objects) before its reader counts as behind and loses flows. */
const MAX_STREAM_BACKLOG = 4096;
/** How often due flows are played. */
const TICK_MS = 50;

interface Buffered {
  readonly timeMs: number;
  readonly response: DemoResponse;
}

/** One open GetFlows stream with `follow`. */
interface Follower {
  readonly call: ServerWritableStream<Record<string, unknown>, unknown>;
  /** Flows dropped since the reader fell behind; told with lost_events when it catches up. */
  lost: number;
}

function timestampMs(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
  const ms = Number(seconds ?? 0) * 1000 + Math.floor(Number(nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? ms : undefined;
}

function grpcTime(ms: number): { seconds: string; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

export class DemoHubbleServer {
  private server: Server | undefined;
  private boundPort = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly traffic: Generator<DemoEvent>;
  private next: DemoEvent;
  private readonly ring: Buffered[] = [];
  private ringStart = 0;
  private readonly followers = new Set<Follower>();
  private readonly startedAt: number;
  private readonly bufferSize: number;
  private readonly now: () => number;
  private seen = 0;
  /** Flow time (µs) of the next ring-buffer overflow, and how many flows of it are still to be lost. */
  private nextLossMicros = Number.POSITIVE_INFINITY;
  private losing = 0;

  private constructor(readonly options: DemoHubbleServerOptions) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.bufferSize = options.bufferSize ?? 4095;
    this.traffic = shopTraffic({
      seed: options.seed ?? 1,
      startMs: this.startedAt,
      flowsPerSecond: options.flowsPerSecond ?? 50,
      ...(options.driftEveryMs !== undefined ? { driftEveryMs: options.driftEveryMs } : {}),
      ...(options.firstDriftAfterMs !== undefined ? { firstDriftAfterMs: options.firstDriftAfterMs } : {}),
    });
    this.next = this.traffic.next().value as DemoEvent;
    if (options.lossEveryMs !== undefined && options.lossEveryMs > 0) this.nextLossMicros = (this.startedAt + options.lossEveryMs) * 1000;
  }

  /** Starts serving on 127.0.0.1 and playing the traffic. */
  static async start(options: DemoHubbleServerOptions = {}): Promise<DemoHubbleServer> {
    const demo = new DemoHubbleServer(options);
    await demo.listen(options.port ?? 0);
    demo.timer = setInterval(() => demo.play(), TICK_MS);
    demo.timer.unref();
    return demo;
  }

  /** `127.0.0.1:<port>`: what HUBBLE_ADDRESS would say. */
  get address(): string {
    return `127.0.0.1:${this.boundPort}`;
  }

  /** Flow time of the traffic's start, epoch ms: with the seed, it fixes every message (see {@link shopTraffic}). */
  get startMs(): number {
    return this.startedAt;
  }

  /** Flows played so far. */
  get played(): number {
    return this.seen;
  }

  /** Ends every stream (status OK) and shuts the server down. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const follower of this.followers) follower.call.end();
    this.followers.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  private async listen(port: number): Promise<void> {
    const service = loadHubbleApi().Observer.service;
    const server = new Server({ 'grpc.max_concurrent_streams': 16 });
    const implementation: UntypedServiceImplementation = {
      GetFlows: (call: ServerWritableStream<Record<string, unknown>, unknown>) => this.getFlows(call),
      ServerStatus: (_call: unknown, callback: (error: null, value: unknown) => void) => callback(null, this.status()),
      GetNodes: (_call: unknown, callback: (error: null, value: unknown) => void) => callback(null, this.nodes()),
    };
    server.addService(service, implementation);
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    this.server = server;
  }

  /** Plays every flow that is due by now: into the ring buffer and to every follower. */
  private play(): void {
    const due = this.now() * 1000;
    while (this.next.timeMicros <= due) {
      const response = this.next.response;
      this.remember({ timeMs: Math.floor(this.next.timeMicros / 1000), response });
      this.seen += 1;
      if (this.next.timeMicros >= this.nextLossMicros) {
        this.losing = this.options.lossFlows ?? 8;
        this.nextLossMicros += (this.options.lossEveryMs ?? 0) * 1000;
      }
      if (this.losing > 0) {
        this.losing -= 1;
        for (const follower of this.followers) follower.lost += 1;
      } else {
        for (const follower of this.followers) this.offer(follower, response);
      }
      this.next = this.traffic.next().value as DemoEvent;
    }
  }

  private remember(entry: Buffered): void {
    if (this.ring.length < this.bufferSize) {
      this.ring.push(entry);
      return;
    }
    this.ring[this.ringStart] = entry;
    this.ringStart = (this.ringStart + 1) % this.bufferSize;
  }

  /** The buffer, oldest first. */
  private buffered(): Buffered[] {
    return [...this.ring.slice(this.ringStart), ...this.ring.slice(0, this.ringStart)];
  }

  private offer(follower: Follower, response: DemoResponse): void {
    const call = follower.call;
    if (call.writableLength > MAX_STREAM_BACKLOG) {
      follower.lost += 1;
      return;
    }
    if (follower.lost > 0) {
      call.write({ lost_events: { source: 'HUBBLE_RING_BUFFER', num_events_lost: String(follower.lost) }, node_name: 'worker-1', time: grpcTime(this.now()) });
      follower.lost = 0;
    }
    call.write(response);
  }

  private getFlows(call: ServerWritableStream<Record<string, unknown>, unknown>): void {
    const request = call.request;
    const filters = [request['whitelist'], request['blacklist']].some((f) => Array.isArray(f) && f.length > 0);
    if (filters) {
      call.emit('error', { code: status.INVALID_ARGUMENT, details: 'the demo source does not apply flow filters (whitelist, blacklist)' });
      return;
    }
    const follow = request['follow'] === true;
    const number = Number(request['number'] ?? 0);
    const since = timestampMs(request['since']);
    const until = follow ? undefined : timestampMs(request['until']);
    let replay = this.buffered().filter((e) => (since === undefined || e.timeMs >= since) && (until === undefined || e.timeMs <= until));
    if (number > 0) replay = request['first'] === true ? replay.slice(0, number) : replay.slice(-number);
    else if (follow && since === undefined) replay = [];
    if (!follow) {
      for (const entry of replay) call.write(entry.response);
      call.end();
      return;
    }
    // The replay is written before any later flow is played (one turn of the event loop): nothing is missed or doubled.
    for (const entry of replay) call.write(entry.response);
    const follower: Follower = { call, lost: 0 };
    this.followers.add(follower);
    const gone = (): void => {
      this.followers.delete(follower);
    };
    call.on('cancelled', gone);
    call.on('close', gone);
    call.on('error', gone);
  }

  private status(): Record<string, unknown> {
    const uptimeMs = Math.max(0, this.now() - this.startedAt);
    return {
      num_flows: String(this.ring.length), max_flows: String(this.bufferSize), seen_flows: String(this.seen),
      uptime_ns: String(uptimeMs * 1_000_000), num_connected_nodes: { value: 2 }, num_unavailable_nodes: { value: 0 },
      version: 'driftwatch-demo', flows_rate: uptimeMs > 0 ? (this.seen * 1000) / uptimeMs : 0,
    };
  }

  private nodes(): Record<string, unknown> {
    return {
      nodes: ['worker-1', 'worker-2'].map((name) => ({ name, version: 'driftwatch-demo', address: this.address, state: 'NODE_CONNECTED' })),
    };
  }
}
