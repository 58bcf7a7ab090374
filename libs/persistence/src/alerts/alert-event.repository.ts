import type { Logger } from '@driftwatch/common';
import { silentLogger } from '@driftwatch/common';
import type { Sql } from '../flows/sql-client.js';
import { enqueueWebhookDeliveries } from '../webhooks/webhook-outbox.js';
import type { AlertEventRecord, AlertEventType, AlertSummary } from './alert.types.js';

/** The NOTIFY channel that carries the id of every committed alert event. */
export const ALERT_EVENTS_CHANNEL = 'driftwatch_alert_events';

/**
 * Stores alert events on `tx` (the transaction of the change they describe), queues their webhook deliveries
 * (the outbox) and NOTIFYs their ids, which Postgres delivers at commit. Event writers are serialized by a
 * transaction-scoped advisory lock, so event ids commit in increasing order: a reader that has seen id N never
 * later finds a committed event below N (what catch-up `id > N` relies on).
 */
export async function recordAlertEvents(
  tx: Sql,
  entries: readonly { readonly type: AlertEventType; readonly alert: AlertSummary }[],
): Promise<AlertEventRecord[]> {
  if (entries.length === 0) return [];
  await tx`select pg_advisory_xact_lock(hashtext('driftwatch.alert_events'))`;
  const rows = await tx<{ id: string; created_at: Date }[]>`
    insert into alert_events (alert_id, type, payload)
    select aid::int8, t, p::jsonb
    from unnest(${tx.array(entries.map((e) => e.alert.id))}::text[], ${tx.array(entries.map((e) => e.type))}::text[],
                ${tx.array(entries.map((e) => JSON.stringify(e.alert)))}::text[]) with ordinality as u(aid, t, p, o)
    order by o
    returning id::text, created_at`;
  rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const events = entries.map((entry, i): AlertEventRecord => {
    const row = rows[i] as { id: string; created_at: Date };
    return { id: row.id, alertId: entry.alert.id, type: entry.type, createdAt: row.created_at.toISOString(), alert: entry.alert };
  });
  await enqueueWebhookDeliveries(
    tx,
    events.map((e) => ({ id: e.id, type: e.type, severity: e.alert.severity, srcNamespace: e.alert.srcNamespace, dstNamespace: e.alert.dstNamespace })),
  );
  await tx`select pg_notify(${ALERT_EVENTS_CHANNEL}, id) from unnest(${tx.array(events.map((e) => e.id))}::text[]) as id`;
  return events;
}

interface EventRow {
  id: string;
  alert_id: string;
  type: AlertEventType;
  created_at: Date;
  payload: AlertSummary;
}

const toEvent = (r: EventRow): AlertEventRecord => ({ id: r.id, alertId: r.alert_id, type: r.type, createdAt: r.created_at.toISOString(), alert: r.payload });

/**
 * Reads `alert_events` in id order. Queries order by the table's column (`e.id`): a bare `order by id` would sort
 * by the selected `id::text` (an output column wins), putting 10 before 9 and handing events out of order.
 */
export class AlertEventRepository {
  constructor(private readonly sql: Sql) {}

  /** Events with an id above `afterId`, oldest first, at most `limit`. */
  async after(afterId: string, limit = 500): Promise<AlertEventRecord[]> {
    const rows = await this.sql<EventRow[]>`
      select e.id::text, e.alert_id::text, e.type, e.created_at, e.payload from alert_events e
      where e.id > ${afterId}::int8 order by e.id limit ${limit}`;
    return rows.map(toEvent);
  }

  /** The events of one alert, oldest first. */
  async ofAlert(alertId: string, limit = 1000): Promise<AlertEventRecord[]> {
    const rows = await this.sql<EventRow[]>`
      select e.id::text, e.alert_id::text, e.type, e.created_at, e.payload from alert_events e
      where e.alert_id = ${alertId}::int8 order by e.id limit ${limit}`;
    return rows.map(toEvent);
  }

  /** The newest event id ('0' when there is none). */
  async latestId(): Promise<string> {
    const [row] = await this.sql<{ id: string | null }[]>`select max(id)::text as id from alert_events`;
    return row?.id ?? '0';
  }
}

/**
 * Follows `alert_events` across processes: LISTENs on {@link ALERT_EVENTS_CHANNEL} and, on every notification
 * and after every (re)connect of its listening connection, reads the events past the last id it handed out, so
 * `onEvents` sees each committed event exactly once, in id order, from the moment `start` resolved.
 */
export class AlertEventFeed {
  private lastId = '0';
  private reading: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly events: AlertEventRepository;

  private constructor(
    private readonly sql: Sql,
    private readonly onEvents: (events: readonly AlertEventRecord[]) => void,
    private readonly log: Logger,
  ) {
    this.events = new AlertEventRepository(sql);
  }

  static async start(sql: Sql, onEvents: (events: readonly AlertEventRecord[]) => void, log: Logger = silentLogger): Promise<AlertEventFeed> {
    const feed = new AlertEventFeed(sql, onEvents, log);
    feed.lastId = await feed.events.latestId();
    const listening = await sql.listen(ALERT_EVENTS_CHANNEL, () => feed.wake(), () => feed.wake());
    feed.unlisten = listening.unlisten;
    return feed;
  }

  /** The id of the newest event handed out. */
  get position(): string {
    return this.lastId;
  }

  /** Reads what is new now (also called on every NOTIFY and reconnect). */
  wake(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = this.read().finally(() => {
      this.reading = undefined;
    });
  }

  private async read(): Promise<void> {
    do {
      this.again = false;
      for (;;) {
        let batch: AlertEventRecord[];
        try {
          batch = await this.events.after(this.lastId);
        } catch (error) {
          this.log.warn(`alert events: cannot read past ${this.lastId} (${(error as Error).message}); retrying`);
          await new Promise((resolve) => setTimeout(resolve, 1000));
          if (this.stopped) return;
          this.again = true;
          break;
        }
        if (batch.length === 0) break;
        this.lastId = (batch[batch.length - 1] as AlertEventRecord).id;
        try {
          this.onEvents(batch);
        } catch (error) {
          this.log.error(`alert events: a consumer failed: ${(error as Error).message}`);
        }
      }
    } while (this.again && !this.stopped);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.unlisten?.().catch(() => undefined);
    await this.reading;
  }
}
