import type { DriftKind, FlowLabel } from '@driftwatch/contracts';
import type { Sql } from './sql-client.js';

/** The raw body of a denied or unexpected flow, kept as evidence with its explanation. */
export interface EvidenceRow {
  readonly observedAt: Date;
  readonly flowId: string;
  readonly source: string;
  readonly direction: string;
  readonly label: FlowLabel;
  readonly driftKind: DriftKind | null;
  readonly srcNamespace: string | null;
  readonly srcWorkload: string | null;
  readonly dstNamespace: string | null;
  readonly dstWorkload: string | null;
  readonly policyRevisionId: number | null;
  readonly body: unknown;
  readonly explanation: unknown;
}

/** An escape of NUL or of a lone UTF-16 surrogate, preceded by an even run of backslashes (so a real escape). */
const UNSTORABLE_ESCAPE = /(?<!\\)((?:\\\\)*)\\u(?:0000|d[89a-f][0-9a-f]{2})/g;

/**
 * JSON text that PostgreSQL's jsonb accepts for any value: `JSON.stringify` writes NUL as `\u0000` and a lone
 * surrogate as `\udXXX`, both of which jsonb refuses; they become U+FFFD. Raw flow bodies are attacker-controlled
 * and kept whole as evidence (including fields no normalizer reads), so this runs on every body and explanation.
 */
export function jsonbText(value: unknown): string {
  const text = JSON.stringify(value ?? null);
  return text.includes('\\u') ? text.replace(UNSTORABLE_ESCAPE, '$1\\ufffd') : text;
}

/** Writes and reads `evidence_flows`, in batches. */
export class EvidenceRepository {
  constructor(private readonly sql: Sql) {}

  async insert(rows: readonly EvidenceRow[]): Promise<void> {
    if (rows.length === 0) return;
    const sql = this.sql;
    const col = <T>(pick: (r: EvidenceRow) => T) => rows.map(pick);
    await sql`
      insert into evidence_flows (observed_at, flow_id, source, direction, label, drift_kind, src_namespace,
        src_workload, dst_namespace, dst_workload, policy_revision_id, body, explanation)
      select oa::timestamptz, fid, src, dir, lb::flow_label, dk::drift_kind, sns, swl, dns, dwl, rev, b::jsonb, e::jsonb
      from unnest(
        ${sql.array(col((r) => r.observedAt.toISOString()))}::text[], ${sql.array(col((r) => r.flowId))}::text[],
        ${sql.array(col((r) => r.source))}::text[], ${sql.array(col((r) => r.direction))}::text[],
        ${sql.array(col((r) => r.label))}::text[], ${sql.array(col((r) => r.driftKind))}::text[],
        ${sql.array(col((r) => r.srcNamespace))}::text[], ${sql.array(col((r) => r.srcWorkload))}::text[],
        ${sql.array(col((r) => r.dstNamespace))}::text[], ${sql.array(col((r) => r.dstWorkload))}::text[],
        ${sql.array(col((r) => r.policyRevisionId))}::int4[],
        ${sql.array(col((r) => jsonbText(r.body)))}::text[], ${sql.array(col((r) => jsonbText(r.explanation)))}::text[]
      ) as t(oa, fid, src, dir, lb, dk, sns, swl, dns, dwl, rev, b, e)`;
  }

  /** Evidence rows for a flow id (several when a flow was seen at both ends). */
  async byFlowId(flowId: string): Promise<{ label: FlowLabel; driftKind: DriftKind | null; body: unknown; explanation: unknown }[]> {
    const rows = await this.sql<{ label: FlowLabel; drift_kind: DriftKind | null; body: unknown; explanation: unknown }[]>`
      select label::text, drift_kind::text, body, explanation from evidence_flows where flow_id = ${flowId} order by id`;
    return rows.map((r) => ({ label: r.label, driftKind: r.drift_kind, body: r.body, explanation: r.explanation }));
  }

  async count(): Promise<number> {
    const [row] = await this.sql<{ n: string }[]>`select count(*)::text as n from evidence_flows`;
    return Number(row?.n ?? 0);
  }
}
