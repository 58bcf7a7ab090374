/**
 * A fake Calico Goldmane: a real grpc-js server on loopback serving `goldmane.Flows/Stream` and
 * `goldmane.Flows/List` from an in-memory list of Goldmane Flows, and `goldmane.FlowCollector/Connect`
 * (recording what a Felix-like client pushes and answering one FlowReceipt per FlowUpdate).
 * Stream honours `start_time_gte` as Goldmane does: 0 = now (no backfill), below 0 = relative to now,
 * above 0 = absolute Unix seconds; it then stays open and delivers later pushes. Filters are not applied.
 */
import {
  Server, ServerCredentials, type ServerDuplexStream, type ServerWritableStream, type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadGoldmaneApi } from '@driftwatch/collector';
import { killServer, type KillMode } from './server-kill.js';

/** A `goldmane.Flow` in proto-loader object form (snake_case keys, `Key`, int64 as strings or numbers). */
export type GoldmaneFlowObject = Record<string, unknown> & { readonly Key?: Record<string, unknown> };

export interface FakeGoldmaneOptions {
  /** Flows known at start (Goldmane's history). */
  readonly flows?: Iterable<GoldmaneFlowObject>;
  /** Port to bind on 127.0.0.1; 0 (default) picks a free one. */
  readonly port?: number;
  /** The clock in Unix seconds (default: real time), for `start_time_gte` 0 and negative values. */
  readonly now?: () => number;
}

/** One FlowUpdate received on FlowCollector.Connect. */
export interface ReceivedFlowUpdate {
  /** Which Connect stream (1, 2, ... in order of arrival) carried it. */
  readonly connection: number;
  readonly flow: GoldmaneFlowObject | undefined;
}

export class FakeGoldmane {
  private readonly flows: GoldmaneFlowObject[];
  private readonly keyIds = new Map<string, number>();
  private server: Server | undefined;
  private boundPort: number;
  private readonly streams = new Set<ServerWritableStream<unknown, unknown>>();
  private connections = 0;
  private waiters: Array<() => void> = [];
  /** Every FlowUpdate received on FlowCollector.Connect, in order. */
  readonly received: ReceivedFlowUpdate[] = [];
  /** Every Flows.Stream request's `start_time_gte`, in order. */
  readonly streamRequests: number[] = [];

  private constructor(private readonly options: FakeGoldmaneOptions) {
    this.flows = [...(options.flows ?? [])];
    this.boundPort = options.port ?? 0;
  }

  /** Starts a fake Goldmane on 127.0.0.1. */
  static async start(options: FakeGoldmaneOptions = {}): Promise<FakeGoldmane> {
    const goldmane = new FakeGoldmane(options);
    await goldmane.listen();
    return goldmane;
  }

  /** The bound port (stable across restarts). */
  get port(): number {
    return this.boundPort;
  }

  /** `127.0.0.1:<port>`. */
  get address(): string {
    return `127.0.0.1:${this.boundPort}`;
  }

  /** Adds flows (new buckets rolling over) and sends them to every open Stream. */
  push(...flows: GoldmaneFlowObject[]): void {
    this.flows.push(...flows);
    for (const call of this.streams) for (const flow of flows) call.write(this.result(flow));
  }

  /** Resolves once `count` FlowUpdates in total have been received. */
  waitForReceived(count: number): Promise<void> {
    return this.until(() => this.received.length >= count);
  }

  /** Resolves once `count` Flows.Stream calls in total have arrived. */
  waitForStreams(count: number): Promise<void> {
    return this.until(() => this.streamRequests.length >= count);
  }

  /** Abrupt stop (connections dropped, see {@link KillMode}); history and received updates are kept. */
  kill(mode: KillMode = 'drop'): void {
    if (this.server !== undefined) killServer(this.server, mode);
    this.server = undefined;
    this.streams.clear();
  }

  /** Graceful stop: open streams end with status OK. */
  async stop(): Promise<void> {
    for (const call of this.streams) call.end();
    this.streams.clear();
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  /** Kills and starts again on the same port. */
  async restart(mode: KillMode = 'drop'): Promise<void> {
    this.kill(mode);
    await this.listen();
  }

  private until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (condition()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  private result(flow: GoldmaneFlowObject): Record<string, unknown> {
    const key = JSON.stringify(flow.Key ?? {});
    let id = this.keyIds.get(key);
    if (id === undefined) {
      id = this.keyIds.size + 1;
      this.keyIds.set(key, id);
    }
    return { id: String(id), flow };
  }

  private threshold(startTimeGte: number): number {
    const now = this.options.now?.() ?? Math.floor(Date.now() / 1000);
    if (startTimeGte === 0) return now;
    return startTimeGte < 0 ? now + startTimeGte : startTimeGte;
  }

  private async listen(): Promise<void> {
    const api = loadGoldmaneApi();
    const server = new Server();
    const flows: UntypedServiceImplementation = {
      Stream: (call: ServerWritableStream<Record<string, unknown>, unknown>) => {
        const gte = Number(call.request['start_time_gte'] ?? 0);
        this.streamRequests.push(gte);
        this.notify();
        const from = this.threshold(gte);
        for (const flow of this.flows) if (Number(flow['start_time'] ?? 0) >= from) call.write(this.result(flow));
        const untyped = call as ServerWritableStream<unknown, unknown>;
        this.streams.add(untyped);
        const gone = (): boolean => this.streams.delete(untyped);
        call.on('cancelled', gone);
        call.on('close', gone);
      },
      List: (call: { request: Record<string, unknown> }, callback: (error: null, value: unknown) => void) => {
        const gte = Number(call.request['start_time_gte'] ?? 0);
        const lt = Number(call.request['start_time_lt'] ?? 0);
        const results = this.flows
          .filter((f) => Number(f['start_time'] ?? 0) >= gte && (lt === 0 || Number(f['start_time'] ?? 0) < lt))
          .map((f) => this.result(f));
        callback(null, { meta: { totalPages: '1', totalResults: String(results.length) }, flows: results });
      },
      FilterHints: (_call: unknown, callback: (error: null, value: unknown) => void) => callback(null, { hints: [] }),
    };
    const collector: UntypedServiceImplementation = {
      Connect: (call: ServerDuplexStream<Record<string, unknown>, unknown>) => {
        const connection = ++this.connections;
        call.on('data', (update: Record<string, unknown>) => {
          this.received.push({ connection, flow: update['flow'] as GoldmaneFlowObject | undefined });
          call.write({});
          this.notify();
        });
        call.on('end', () => call.end());
      },
    };
    server.addService(api.Flows.service, flows);
    server.addService(api.FlowCollector.service, collector);
    this.boundPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${this.boundPort}`, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port))),
    );
    this.server = server;
  }
}
