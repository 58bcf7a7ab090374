import postgres from 'postgres';
import type { Sql } from '../flows/sql-client.js';
import { WEBHOOK_DELIVERY_CHANNEL } from './webhook-outbox.js';

/** A delivery claimed by one dispatcher, with what it needs to send it. Secrets stay in memory only. */
export interface ClaimedDelivery {
  /** `webhook_deliveries.id` (a bigint, as text): the stable X-Driftwatch-Delivery. */
  readonly id: string;
  readonly webhookId: number;
  /** The attempt this claim is (1 for the first); results are recorded only for the claim's own attempt. */
  readonly attempt: number;
  readonly createdAt: Date;
  readonly url: string;
  readonly secret: string;
  /** The secret before the last rotation while its grace period lasts, else null. */
  readonly previousSecret: string | null;
  /** The event: an alert event's id, or `test-<delivery id>` for a test delivery. */
  readonly eventId: string;
  readonly eventType: string;
  readonly eventCreatedAt: Date;
  /** The alert event's payload (the alert summary and state), or the test delivery's payload. */
  readonly alert: unknown;
}

/** How an attempt ended: `retry` puts the delivery back at `nextAttemptAt`. */
export type AttemptOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly nextAttemptAt: Date }
  | { readonly kind: 'failed' }
  | { readonly kind: 'gone' };

export interface AttemptResult {
  readonly delivery: Pick<ClaimedDelivery, 'id' | 'webhookId' | 'attempt'>;
  /** HTTP status, null when no answer came (refused, timed out, blocked address). */
  readonly status: number | null;
  readonly latencyMs: number;
  readonly error: string | null;
  readonly outcome: AttemptOutcome;
}

export interface ClaimOptions {
  /** Most deliveries claimed at once. */
  readonly limit: number;
  /** Most deliveries of one webhook held (claimed, not yet finished) by this dispatcher. */
  readonly perWebhook: number;
  /** Deliveries this dispatcher already holds, per webhook id. */
  readonly inFlight: ReadonlyMap<number, number>;
  /** How long a claim holds a delivery: past it, another dispatcher may claim it again. */
  readonly leaseMs: number;
}

/**
 * The dispatcher's side of the outbox (`webhook_deliveries`, `webhook_attempts`) over its own postgres.js pool,
 * apart from the pipeline's, so webhook traffic never waits on ingestion or slows it. Close it when done.
 */
export class WebhookDeliveryQueue {
  private constructor(private readonly sql: Sql) {}

  /**
   * Opens a pool on `url` and checks that it answers. Its sessions commit asynchronously (`synchronous_commit =
   * off`): a database crash may forget the last few claims and results, and those deliveries are then sent again,
   * which at-least-once delivery allows (receivers deduplicate by X-Driftwatch-Delivery). Locks and visibility are
   * unchanged, so two running dispatchers still never claim one delivery. Without it each claim and each result
   * waits for a WAL flush, and one webhook's throughput is bounded by the disk.
   */
  static async open(url: string, max = 5): Promise<WebhookDeliveryQueue> {
    const sql = postgres(url, {
      max,
      onnotice: () => undefined,
      idle_timeout: 30,
      connect_timeout: 10,
      prepare: true,
      connection: { application_name: 'driftwatch-webhooks', synchronous_commit: 'off' },
    });
    try {
      await sql`select 1`;
    } catch (error) {
      await sql.end({ timeout: 1 });
      throw error;
    }
    return new WebhookDeliveryQueue(sql);
  }

  /**
   * Claims due deliveries of enabled webhooks, oldest first, at most `perWebhook` held per webhook, with
   * `FOR UPDATE SKIP LOCKED`: two dispatchers never claim one delivery. A claim increments `attempts` and moves
   * `next_attempt_at` to the end of the lease, so the delivery is claimed again only if its dispatcher died.
   */
  async claim(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    const sql = this.sql;
    const busyIds = [...options.inFlight.keys()];
    const busyCounts = busyIds.map((id) => options.inFlight.get(id) ?? 0);
    const rows = await sql<ClaimRow[]>`
      with busy as (
        select * from unnest(${sql.array(busyIds)}::int4[], ${sql.array(busyCounts)}::int4[]) as b(webhook_id, n)
      ), candidates as (
        select c.id, c.next_attempt_at
        from webhooks w
        left join busy b on b.webhook_id = w.id
        cross join lateral (
          select d.id, d.next_attempt_at from webhook_deliveries d
          where d.webhook_id = w.id and d.status = 'pending' and d.next_attempt_at <= now()
          order by d.next_attempt_at, d.id
          limit greatest(${options.perWebhook}::int4 - coalesce(b.n, 0), 0)
          for update of d skip locked
        ) c
        where w.enabled
      ), locked as (
        select id from candidates order by next_attempt_at, id limit ${options.limit}
      )
      update webhook_deliveries d
      set attempts = d.attempts + 1, next_attempt_at = now() + ${options.leaseMs} * interval '1 millisecond'
      from locked, webhooks w
      where d.id = locked.id and w.id = d.webhook_id
      returning d.id::text as id, d.webhook_id, d.attempts, d.created_at, d.event_type, d.payload, w.url, w.secret,
        case when w.previous_secret_expires_at > now() then w.previous_secret end as previous_secret,
        d.alert_event_id::text as event_id,
        (select e.created_at from alert_events e where e.id = d.alert_event_id) as event_created_at,
        (select e.payload from alert_events e where e.id = d.alert_event_id) as event_payload`;
    return rows.map((r) => ({
      id: r.id,
      webhookId: r.webhook_id,
      attempt: r.attempts,
      createdAt: r.created_at,
      url: r.url,
      secret: r.secret,
      previousSecret: r.previous_secret,
      eventId: r.event_id ?? `test-${r.id}`,
      eventType: r.event_type,
      eventCreatedAt: r.event_created_at ?? r.created_at,
      alert: r.event_id ? r.event_payload : r.payload,
    }));
  }

  /**
   * Keeps the attempt in `webhook_attempts` and, if this attempt still holds the delivery, records its outcome:
   * delivered, back to pending at the retry time, failed (dead), or gone (failed, and the webhook is disabled).
   * A delivery deleted meanwhile (with its webhook) is skipped.
   */
  async record(result: AttemptResult): Promise<void> {
    const { delivery, outcome } = result;
    const sql = this.sql;
    const status = outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'retry' ? 'pending' : 'failed';
    const next = outcome.kind === 'retry' ? outcome.nextAttemptAt : null;
    const gone = outcome.kind === 'gone' ? `the receiver answered ${result.status ?? 410} Gone to delivery ${delivery.id}` : null;
    // One statement (one round trip, atomic): the attempt, the delivery's state, and the webhook when it is gone.
    await sql`
      with attempt as (
        insert into webhook_attempts (delivery_id, webhook_id, attempt, status, latency_ms, error)
        select id, webhook_id, ${delivery.attempt}, ${result.status}, ${Math.round(result.latencyMs)}, ${result.error}
        from webhook_deliveries where id = ${delivery.id}::int8
        returning 1
      ), delivery as (
        update webhook_deliveries
        set status = ${status}::delivery_status, last_status = ${result.status}, last_error = ${result.error},
            delivered_at = case when ${status} = 'delivered' then now() end,
            next_attempt_at = coalesce(${next}::timestamptz, next_attempt_at)
        where id = ${delivery.id}::int8 and attempts = ${delivery.attempt} and status = 'pending'
        returning 1
      ), webhook as (
        update webhooks set enabled = false, updated_at = now(), disabled_reason = ${gone}
        where id = ${delivery.webhookId} and ${gone}::text is not null
        returning 1
      )
      select (select count(*) from attempt) + (select count(*) from delivery) + (select count(*) from webhook) as n`;
  }

  /**
   * Gives back deliveries claimed but never attempted (a dispatcher stopping): due at once again, their claim's
   * attempt uncounted, unless another claim took them since.
   */
  async release(deliveries: readonly Pick<ClaimedDelivery, 'id' | 'attempt'>[]): Promise<void> {
    if (deliveries.length === 0) return;
    const sql = this.sql;
    await sql`
      update webhook_deliveries d set attempts = d.attempts - 1, next_attempt_at = now()
      from unnest(${sql.array(deliveries.map((d) => d.id))}::int8[], ${sql.array(deliveries.map((d) => d.attempt))}::int4[]) as r(id, attempt)
      where d.id = r.id and d.attempts = r.attempt and d.status = 'pending'`;
  }

  /** Calls `onEnqueued` whenever the outbox enqueued deliveries (NOTIFY); resolves once listening. */
  async listen(onEnqueued: () => void): Promise<{ unlisten(): Promise<void> }> {
    const listener = await this.sql.listen(WEBHOOK_DELIVERY_CHANNEL, () => onEnqueued(), onEnqueued);
    return { unlisten: () => listener.unlisten() };
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}

interface ClaimRow {
  id: string;
  webhook_id: number;
  attempts: number;
  created_at: Date;
  event_type: string;
  payload: unknown;
  url: string;
  secret: string;
  previous_secret: string | null;
  event_id: string | null;
  event_created_at: Date | null;
  event_payload: unknown;
}
