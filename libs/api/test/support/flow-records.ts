/**
 * Flow records written straight as rows: {@link flowRecord} makes one, {@link insertRecords} writes rows through the
 * pipeline's own writer. `seed-flows.ts` makes its rows from flows judged as the pipeline judges them, and writes
 * them with these.
 */
import type { EndpointIdentityRow, EvidenceRow, FlowRecordRow, FlowStore } from '@driftwatch/persistence';

/** A flow record with every field set to something plain; `overrides` say what the test cares about. */
export function flowRecord(windowStart: Date, overrides: Partial<FlowRecordRow> = {}): FlowRecordRow {
  const windowEnd = new Date(windowStart.getTime() + 10_000);
  return {
    windowStart,
    windowEnd,
    source: 'hubble',
    cluster: '',
    srcNamespace: null,
    srcWorkload: null,
    srcIp: null,
    dstNamespace: null,
    dstWorkload: null,
    dstIp: null,
    dstPort: 8080,
    protocol: 'TCP',
    direction: 'egress',
    observed: 'forwarded',
    dropReason: null,
    event: 'connection',
    label: 'allowed',
    driftKind: null,
    policyRevisionId: null,
    flowCount: 1,
    firstSeen: windowStart,
    lastSeen: new Date(windowStart.getTime() + 5_000),
    sampleFlowId: null,
    issues: [],
    ...overrides,
  };
}

/** An evidence row as the pipeline keeps it for a record (same key fields), with a decision on `port`/`protocol`. */
export function evidenceOf(record: FlowRecordRow, flowId: string, offsetMs: number, decision: { port: number; protocol: string } | null): EvidenceRow {
  if (record.label !== 'denied' && record.label !== 'unexpected') throw new Error('evidence is kept for denied and unexpected flows only');
  return {
    observedAt: new Date(record.windowStart.getTime() + offsetMs),
    flowId,
    source: record.source,
    direction: record.direction,
    label: record.label,
    driftKind: record.driftKind,
    srcNamespace: record.srcNamespace,
    srcWorkload: record.srcWorkload,
    dstNamespace: record.dstNamespace,
    dstWorkload: record.dstWorkload,
    policyRevisionId: record.policyRevisionId,
    body: { flow: { uuid: flowId, note: '=cmd' } },
    explanation: decision
      ? { text: `${record.label}: test decision`, decision: { verdict: 'deny', ...decision }, issues: ['pod_labels_unknown'] }
      : { text: `${record.label} by the observed verdict alone`, issues: [] },
  };
}

const BATCH = 5000;

/**
 * Inserts records through the pipeline's own writer, in batches of 5000; the evidence and the endpoint identities
 * the records point at go with the first batch.
 */
export async function insertRecords(
  store: FlowStore, records: readonly FlowRecordRow[], evidence: readonly EvidenceRow[] = [], identities: readonly EndpointIdentityRow[] = [],
): Promise<void> {
  for (let i = 0; i === 0 || i < records.length; i += BATCH) {
    const first = i === 0;
    await store.writeBatch({ identities: first ? identities : [], records: records.slice(i, i + BATCH), evidence: first ? evidence : [], events: [], states: [] });
  }
}
