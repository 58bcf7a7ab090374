import { Logger as NestLogger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { WebSocketGateway, WebSocketServer, type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import { AlertStoreProvider, type AlertEventFeed, type AlertEventRecord } from '@driftwatch/persistence';
import { subscribePayload, type AlertEventMessage, type SubscribeAck } from '@driftwatch/contracts';
import type { Server, Socket } from 'socket.io';
import type { Actor } from '../auth/access.js';
import { ApiKeyAuthenticator, bearerToken } from '../auth/api-key.authenticator.js';
import { fieldIssues } from '../validation/zod.pipe.js';
import { FlowStatsTally, statsFor } from './flow-stats.js';
import { effectiveFilter, matches, type EffectiveFilter } from './subscription.js';

/** Subscriptions one connection may hold. */
export const MAX_SUBSCRIPTIONS = 10;
/** Events a catch-up (`since`) replays at most. */
const MAX_CATCH_UP = 10_000;
/** How often connections of revoked keys are looked for (a revoked key loses them within this plus a query). */
const REVOCATION_CHECK_MS = 2000;
/** How often `flows.stats` is sent. */
const STATS_INTERVAL_MS = 1000;
/** The event each connection receives when the server stops, with {@link SHUTDOWN_REASON}. */
export const SHUTDOWN_EVENT = 'server.shutdown';
export const SHUTDOWN_REASON = 'the server is shutting down';

interface ClientState {
  readonly actor: Actor;
  readonly filters: EffectiveFilter[];
  /** Id of the newest event sent: nothing at or below it is sent again. */
  lastSent: bigint;
  /** Live events held back while a catch-up is being read. */
  held: AlertEventRecord[] | undefined;
}

type Ack = (answer: SubscribeAck) => void;

/**
 * socket.io on the API port (path `/socket.io`): handshake auth (`auth: {token}` or `Authorization: Bearer`),
 * `subscribe {namespaces?, severities?, kinds?, since?}` acknowledged with the effective filter, and every alert
 * event (`alert.opened`, `alert.updated`, `alert.acknowledged`, `alert.resolved`, `alert.reopened`,
 * `alert.suppressed`) with `{eventId, type, createdAt, alert}`. Events come from Postgres (AlertEventFeed), so
 * every API process serves its own clients whichever process made the event. Every second, `flows.stats` gives each
 * subscribed client the flows of its namespaces by label (counts collectors publish through Postgres NOTIFY; see
 * FlowStatsChannel). Unknown events are ignored.
 */
@WebSocketGateway({ maxHttpBufferSize: 16 * 1024, serveClient: false })
export class AlertsGateway implements OnGatewayInit, OnGatewayConnection, OnModuleInit, OnModuleDestroy {
  @WebSocketServer() private server!: Server;
  private feed: AlertEventFeed | undefined;
  private stats: { stop(): Promise<void> } | undefined;
  private statsTimer: NodeJS.Timeout | undefined;
  private readonly tally = new FlowStatsTally();
  private revocations: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;
  private destroyed = false;
  private warned = false;
  private readonly log = new NestLogger('AlertsGateway');

  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly stores: AlertStoreProvider,
  ) {}

  /** Starts following alert events; while the database does not answer, it keeps trying (the API still starts). */
  async onModuleInit(): Promise<void> {
    this.revocations = setInterval(() => void this.dropRevoked(), REVOCATION_CHECK_MS);
    this.revocations.unref();
    this.statsTimer = setInterval(() => this.sendStats(), STATS_INTERVAL_MS);
    this.statsTimer.unref();
    if (!(await this.startFeed())) this.starting = this.retryFeed();
  }

  private async startFeed(): Promise<boolean> {
    try {
      const logger = {
        error: (line: string) => this.log.error(line),
        warn: (line: string) => this.log.warn(line),
        log: (line: string) => this.log.log(line),
        debug: (line: string) => this.log.debug(line),
      };
      this.feed ??= await this.stores.store.follow((events) => this.deliver(events), logger);
      this.stats ??= await this.stores.store.flowStats.follow((counts) => this.tally.add(counts), logger);
      if (this.destroyed) {
        await this.feed.stop();
        await this.stats.stop();
      }
      return true;
    } catch (error) {
      if (!this.warned) this.log.warn(`cannot follow alert events yet (${(error as Error).message}); retrying every 2 s`);
      this.warned = true;
      return false;
    }
  }

  private async retryFeed(): Promise<void> {
    while (!this.destroyed) {
      await new Promise((resolve) => setTimeout(resolve, 2000).unref());
      if (this.destroyed || (await this.startFeed())) return;
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.destroyed = true;
    this.farewell();
    if (this.revocations) clearInterval(this.revocations);
    if (this.statsTimer) clearInterval(this.statsTimer);
    await this.starting;
    await this.feed?.stop();
    await this.stats?.stop();
  }

  /**
   * The server is stopping: every connection is told why (`server.shutdown {reason}`) and closed by the server,
   * so clients see the event and then `disconnect` with reason `io server disconnect`, and reconnect to another
   * replica (or this one once restarted) instead of waiting for a timeout.
   */
  private farewell(): void {
    for (const socket of this.server?.sockets.sockets.values() ?? []) {
      socket.emit(SHUTDOWN_EVENT, { reason: SHUTDOWN_REASON });
      socket.disconnect(true);
    }
  }

  afterInit(server: Server): void {
    server.use((socket, next) => {
      const auth = socket.handshake.auth as { token?: unknown } | undefined;
      const token = typeof auth?.token === 'string' ? auth.token : bearerToken(socket.handshake.headers.authorization);
      this.authenticator.authenticate(token).then(
        (actor) => {
          if (!actor) return next(new Error('unauthorized'));
          (socket.data as { state?: ClientState }).state = { actor, filters: [], lastSent: 0n, held: undefined };
          next();
        },
        () => next(new Error('unauthorized')),
      );
    });
  }

  handleConnection(socket: Socket): void {
    socket.on('subscribe', (payload: unknown, ack: unknown) => void this.subscribe(socket, payload, typeof ack === 'function' ? (ack as Ack) : undefined));
  }

  private async subscribe(socket: Socket, payload: unknown, ack: Ack | undefined): Promise<void> {
    const state = stateOf(socket);
    if (!state) return;
    const parsed = subscribePayload.safeParse(payload ?? {});
    if (!parsed.success) {
      const issues = fieldIssues(parsed.error);
      ack?.({ ok: false, error: `invalid subscribe: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues });
      return;
    }
    if (state.filters.length >= MAX_SUBSCRIPTIONS) {
      ack?.({ ok: false, error: `too many subscriptions on this connection (at most ${MAX_SUBSCRIPTIONS})` });
      return;
    }
    const filter = effectiveFilter(state.actor, parsed.data);
    const since = parsed.data.since;
    if (since === undefined) {
      state.filters.push(filter);
      if (state.lastSent === 0n) state.lastSent = BigInt(this.feed?.position ?? '0');
      ack?.({ ok: true, filter });
      return;
    }
    state.held ??= [];
    state.filters.push(filter);
    ack?.({ ok: true, filter });
    try {
      let after = since;
      let sent = 0;
      while (sent < MAX_CATCH_UP) {
        const page = await this.stores.store.events.after(after, 500);
        if (page.length === 0) break;
        after = (page[page.length - 1] as AlertEventRecord).id;
        for (const event of page) if (matches(state.actor, filter, event)) sent += this.send(socket, state, event);
      }
    } catch (error) {
      socket.emit('error', { message: `catch-up failed: ${(error as Error).message}` });
    } finally {
      const held = state.held ?? [];
      state.held = undefined;
      for (const event of held) this.offer(socket, state, event);
    }
  }

  /** Hands committed events (in id order) to every connection whose subscriptions match. */
  private deliver(events: readonly AlertEventRecord[]): void {
    for (const socket of this.server.sockets.sockets.values()) {
      const state = stateOf(socket);
      if (!state || state.filters.length === 0) continue;
      for (const event of events) {
        if (state.held) state.held.push(event);
        else this.offer(socket, state, event);
      }
    }
  }

  /** Sends each subscribed connection the flows of its namespaces since the previous tick (nothing when there were none). */
  private sendStats(): void {
    const tick = this.tally.take();
    if (tick.counts.size === 0 || !this.server) return;
    for (const socket of this.server.sockets.sockets.values()) {
      const state = stateOf(socket);
      if (!state) continue;
      const event = statsFor(state.actor, state.filters, tick);
      if (event) socket.emit('flows.stats', event);
    }
  }

  private offer(socket: Socket, state: ClientState, event: AlertEventRecord): void {
    if (state.filters.some((filter) => matches(state.actor, filter, event))) this.send(socket, state, event);
  }

  private send(socket: Socket, state: ClientState, event: AlertEventRecord): number {
    const id = BigInt(event.id);
    if (id <= state.lastSent) return 0;
    state.lastSent = id;
    const message: AlertEventMessage = { eventId: event.id, type: event.type, createdAt: event.createdAt, alert: event.alert };
    socket.emit(event.type, message);
    return 1;
  }

  private async dropRevoked(): Promise<void> {
    const byPrefix = new Map<string, Socket[]>();
    for (const socket of this.server?.sockets.sockets.values() ?? []) {
      const prefix = stateOf(socket)?.actor.prefix;
      if (!prefix || prefix === 'admin-token') continue;
      byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), socket]);
    }
    if (byPrefix.size === 0) return;
    try {
      for (const prefix of await this.stores.store.keys.revokedAmong([...byPrefix.keys()])) {
        for (const socket of byPrefix.get(prefix) ?? []) socket.disconnect(true);
      }
    } catch (error) {
      this.log.warn(`cannot check for revoked keys: ${(error as Error).message}`);
    }
  }
}

function stateOf(socket: Socket): ClientState | undefined {
  return (socket.data as { state?: ClientState }).state;
}
