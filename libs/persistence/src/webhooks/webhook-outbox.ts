import type postgres from 'postgres';
import type { Sql } from '../flows/sql-client.js';

/**
 * Writes one `webhook_deliveries` row per webhook that matches each alert event (namespaces, minimum severity,
 * event types), in the caller's transaction, so an event and its deliveries commit together (the outbox).
 * Returns how many deliveries it queued.
 *
 * Placeholder of the alerts branch: it queues nothing and returns 0. The webhooks branch replaces this file with
 * the real implementation (same signature); the lead takes theirs at merge.
 */
export async function enqueueWebhookDeliveries(
  tx: postgres.TransactionSql | Sql,
  events: readonly { id: string; type: string; severity: string; srcNamespace: string | null; dstNamespace: string | null }[],
): Promise<number> {
  void tx;
  void events;
  return 0;
}
