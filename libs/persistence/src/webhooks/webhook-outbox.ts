import type postgres from 'postgres';
import type { Sql } from '../flows/sql-client.js';

/** NOTIFY channel raised (on commit) when deliveries were enqueued; its payload is empty. */
export const WEBHOOK_DELIVERY_CHANNEL = 'driftwatch_webhook_deliveries';

/** Severities from least to most severe; a webhook receives events at or above its minimum. */
export const WEBHOOK_SEVERITIES = ['medium', 'high', 'critical'] as const;

/** What the outbox needs to know of an alert event to choose its webhooks. */
export interface OutboxEvent {
  /** `alert_events.id` (a bigint, as text). */
  readonly id: string;
  readonly type: string;
  readonly severity: string;
  readonly srcNamespace: string | null;
  readonly dstNamespace: string | null;
}

/**
 * The webhook outbox: inserts one `webhook_deliveries` row per (event, enabled webhook that matches it), in the
 * caller's transaction, so an alert event and its deliveries are committed together or not at all.
 *
 * A webhook matches an event when all three hold:
 * - namespaces: the webhook's list holds `*`, or the namespace on either side of the event (an event with no
 *   namespace on either side matches only `*`);
 * - severity: the event's severity is at least the webhook's minimum (`medium < high < critical`; an unknown
 *   severity matches nothing);
 * - event types: the webhook's list holds `*` or the event's type.
 *
 * Rows that already exist for (event, webhook) are left alone (`ON CONFLICT DO NOTHING`), so calling it twice for
 * an event is harmless. When rows were inserted, a NOTIFY on {@link WEBHOOK_DELIVERY_CHANNEL} wakes the
 * dispatchers when the transaction commits. Returns the number of rows inserted.
 *
 * The dispatcher POSTs `{id, type, createdAt, alert}` from the `alert_events` row, where `alert` is that row's
 * `payload` exactly as stored (the alert's summary and state at that event).
 */
export async function enqueueWebhookDeliveries(
  tx: postgres.TransactionSql | Sql,
  events: readonly { id: string; type: string; severity: string; srcNamespace: string | null; dstNamespace: string | null }[],
): Promise<number> {
  if (events.length === 0) return 0;
  const sql = tx as unknown as Sql;
  const result = await sql`
    insert into webhook_deliveries (alert_event_id, webhook_id, event_type)
    select e.id, w.id, e.type
    from unnest(${sql.array(events.map((e) => e.id))}::int8[], ${sql.array(events.map((e) => e.type))}::text[],
                ${sql.array(events.map((e) => e.severity))}::text[], ${sql.array(events.map((e) => e.srcNamespace))}::text[],
                ${sql.array(events.map((e) => e.dstNamespace))}::text[]) as e(id, type, severity, src, dst)
    join webhooks w on w.enabled
      and ('*' = any(w.event_types) or e.type = any(w.event_types))
      and ('*' = any(w.namespaces) or e.src = any(w.namespaces) or e.dst = any(w.namespaces))
      and array_position(${sql.array([...WEBHOOK_SEVERITIES])}::text[], e.severity)
          >= array_position(${sql.array([...WEBHOOK_SEVERITIES])}::text[], w.min_severity)
    order by e.id, w.id
    on conflict (alert_event_id, webhook_id) do nothing`;
  if (result.count > 0) await sql`select pg_notify(${WEBHOOK_DELIVERY_CHANNEL}, '')`;
  return result.count;
}
