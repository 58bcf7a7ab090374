import type { AuditAction, AuditTargetType } from '@driftwatch/contracts';
import type { Sql } from '../flows/sql-client.js';

/** One change made through the API or the CLI: who (an API key prefix, `cli`, `policy-dir`), what, on what. */
export interface AuditEntry {
  readonly actor: string;
  readonly action: AuditAction;
  readonly targetType: AuditTargetType;
  readonly targetId: string | null;
  readonly details: Record<string, unknown>;
}

export interface AuditRow {
  readonly id: string;
  readonly at: Date;
  readonly actor: string;
  /** One of AUDIT_ACTIONS for rows written by this version; older or foreign rows are shown as stored. */
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly details: Record<string, unknown>;
}

/** Which entries `page` returns; every field narrows (all of them together). `from` is inclusive, `to` exclusive. */
export interface AuditFilter {
  readonly from?: Date;
  readonly to?: Date;
  readonly actions?: readonly string[];
  readonly actor?: string;
  readonly targetTypes?: readonly string[];
  readonly targetId?: string;
  /** Entries with an id below this one (the previous page's last). */
  readonly before?: string;
  readonly limit: number;
}

type Row = { id: string; at: Date; actor: string; action: string; target_type: string; target_id: string | null; details: Record<string, unknown> };
const toRow = (r: Row): AuditRow => ({ id: r.id, at: r.at, actor: r.actor, action: r.action, targetType: r.target_type, targetId: r.target_id, details: r.details });

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
    return this.page({ limit, ...(targetType ? { targetTypes: [targetType] } : {}) });
  }

  /** Entries matching `filter`, newest (highest id) first: keyset pagination on the id. */
  async page(filter: AuditFilter): Promise<AuditRow[]> {
    const sql = this.sql;
    const conditions = [
      filter.from ? sql`at >= ${filter.from}` : undefined,
      filter.to ? sql`at < ${filter.to}` : undefined,
      filter.actions ? sql`action in ${sql([...filter.actions])}` : undefined,
      filter.actor !== undefined ? sql`actor = ${filter.actor}` : undefined,
      filter.targetTypes ? sql`target_type in ${sql([...filter.targetTypes])}` : undefined,
      filter.targetId !== undefined ? sql`target_id = ${filter.targetId}` : undefined,
      filter.before !== undefined ? sql`audit_log.id < ${filter.before}::int8` : undefined,
    ].filter((c) => c !== undefined);
    const where = conditions.reduce((all, c) => sql`${all} and ${c}`, sql`true`);
    const rows = await sql<Row[]>`
      select id::text, at, actor, action, target_type, target_id, details from audit_log
      where ${where} order by audit_log.id desc limit ${filter.limit}`;
    return rows.map(toRow);
  }
}
