import type { Sql } from '../flows/sql-client.js';

/** One change made through the API or the CLI: who (an API key prefix, `cli`, `serve`), what, on what. */
export interface AuditEntry {
  readonly actor: string;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly details: Record<string, unknown>;
}

export interface AuditRow extends AuditEntry {
  readonly id: string;
  readonly at: Date;
}

/** `audit_log`. Writers pass the transaction of the change they record, so both commit or neither does. */
export class AuditLogRepository {
  constructor(private readonly sql: Sql) {}

  /** Records `entry` on `tx` (the change's own transaction). */
  static async record(tx: Sql, entry: AuditEntry): Promise<void> {
    await tx`
      insert into audit_log (actor, action, target_type, target_id, details)
      values (${entry.actor}, ${entry.action}, ${entry.targetType}, ${entry.targetId}, ${tx.json(entry.details as never)})`;
  }

  /** The newest entries first. */
  async list(limit = 100, targetType?: string): Promise<AuditRow[]> {
    const rows = await this.sql<{ id: string; at: Date; actor: string; action: string; target_type: string; target_id: string | null; details: Record<string, unknown> }[]>`
      select id::text, at, actor, action, target_type, target_id, details from audit_log
      where ${targetType ? this.sql`target_type = ${targetType}` : this.sql`true`}
      order by id desc limit ${limit}`;
    return rows.map((r) => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, targetType: r.target_type, targetId: r.target_id, details: r.details }));
  }
}
