import type { Classification, Flow, FlowEndpoint } from '@driftwatch/flow';
import type { EvidenceRow, FlowRecordRow } from '@driftwatch/persistence';
import { renderExplanation } from '@driftwatch/policy-engine';
import { approxBytes } from './approx-bytes.js';

interface OpenRecord {
  row: Omit<FlowRecordRow, 'flowCount' | 'firstSeen' | 'lastSeen' | 'issues'>;
  flowCount: number;
  firstSeen: number;
  lastSeen: number;
  issues: Set<string>;
  evidence: number;
  /** The source (collector id) whose flows these are. */
  sourceId: string;
  /** Estimated bytes held for this record. */
  bytes: number;
}

/** What one flush takes out of the open windows. */
export interface TakenWindows {
  readonly records: FlowRecordRow[];
  readonly evidence: EvidenceRow[];
  /** The collector id of each record and evidence row (same index). */
  readonly recordSources: string[];
  readonly evidenceSources: string[];
  /** Estimated bytes of what was taken. */
  readonly bytes: number;
}

/** Fixed cost of one open record (its row object, dates, map entry), beyond its key. */
const RECORD_BYTES = 400;


/** The connection-key part of one side, as text (same fields as {@link side}, without allocating an object). */
function sideKey(endpoint: FlowEndpoint): string {
  if (endpoint.kind === 'pod') {
    const workload = endpoint.workload?.name ?? endpoint.podName ?? endpoint.reportedName;
    return workload === undefined ? `${endpoint.namespace}\u0000\u0000${endpoint.ip}` : `${endpoint.namespace}\u0000${workload}`;
  }
  return `${endpoint.namespace}\u0000${endpoint.reportedName}\u0000${endpoint.ip}`;
}

/** The connection-key fields of one side: a pod by namespace and workload, anything else by its IP. */
function side(endpoint: FlowEndpoint): { namespace: string | null; workload: string | null; ip: string | null } {
  if (endpoint.kind === 'pod') {
    const workload = endpoint.workload?.name ?? endpoint.podName ?? endpoint.reportedName ?? null;
    return { namespace: endpoint.namespace ?? null, workload, ip: workload === null ? (endpoint.ip ?? null) : null };
  }
  return { namespace: endpoint.namespace ?? null, workload: endpoint.reportedName ?? null, ip: endpoint.ip ?? null };
}

/**
 * Aggregates classified flows per window (ARCHITECTURE.md §2) by (connection key, direction, observed verdict,
 * drop reason, label, drift kind, policy revision), with counts, first/last seen and a sample flow id; keeps up to
 * `evidencePerKey` raw bodies of denied and unexpected flows per key and window. Window 0 = one record per flow.
 */
export class WindowAggregator {
  private open = new Map<string, OpenRecord>();
  private evidence: EvidenceRow[] = [];
  private evidenceSources: string[] = [];
  private evidenceBytes = 0;
  private heldBytes = 0;

  constructor(
    private readonly windowMs: number,
    private readonly evidencePerKey: number,
  ) {}

  get openRecords(): number {
    return this.open.size;
  }

  /** Estimated bytes held: open records and the evidence gathered since the last take. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Adds one classified flow of source `sourceId`. Returns the bytes it added (for backpressure). */
  add(sourceId: string, flow: Flow, classification: Classification, revisionId: number | null): number {
    const windowStart = this.windowMs > 0 ? flow.time - (flow.time % this.windowMs) : flow.time;
    const label = classification.label ?? null;
    const key =
      this.windowMs === 0
        ? `${flow.id}\u0000${this.open.size}`
        : `${windowStart}|${sourceId}|${flow.source}|${flow.cluster ?? ''}|${sideKey(flow.src)}|${sideKey(flow.dst)}|${flow.dstPort}|${flow.protocol}|${flow.direction}|${flow.verdict}|${flow.dropReason}|${flow.event}|${label}|${classification.drift}|${revisionId}`;
    let added = 0;
    let record = this.open.get(key);
    if (!record) {
      const src = side(flow.src);
      const dst = side(flow.dst);
      record = {
        row: {
          windowStart: new Date(windowStart),
          windowEnd: new Date(windowStart + Math.max(this.windowMs, 1)),
          source: flow.source,
          cluster: flow.cluster ?? '',
          srcNamespace: src.namespace,
          srcWorkload: src.workload,
          srcIp: src.ip,
          dstNamespace: dst.namespace,
          dstWorkload: dst.workload,
          dstIp: dst.ip,
          dstPort: flow.dstPort ?? null,
          protocol: flow.protocol ?? 'unknown',
          direction: flow.direction,
          observed: flow.verdict,
          dropReason: flow.dropReason ?? null,
          event: flow.event,
          label,
          driftKind: classification.drift ?? null,
          policyRevisionId: revisionId,
          sampleFlowId: flow.id,
        },
        flowCount: 0,
        firstSeen: flow.time,
        lastSeen: flow.time,
        issues: new Set(),
        evidence: 0,
        sourceId,
        bytes: RECORD_BYTES + key.length,
      };
      this.open.set(key, record);
      added += record.bytes;
    }
    record.flowCount += flow.count;
    if (flow.time < record.firstSeen) record.firstSeen = flow.time;
    if (flow.time > record.lastSeen) record.lastSeen = flow.time;
    for (const issue of classification.issues) record.issues.add(issue);
    if ((label === 'denied' || label === 'unexpected') && record.evidence < this.evidencePerKey) {
      record.evidence += 1;
      const { row } = record;
      this.evidence.push({
        observedAt: new Date(flow.time),
        flowId: flow.id,
        source: flow.source,
        direction: flow.direction,
        label,
        driftKind: classification.drift ?? null,
        srcNamespace: row.srcNamespace,
        srcWorkload: row.srcWorkload,
        dstNamespace: row.dstNamespace,
        dstWorkload: row.dstWorkload,
        policyRevisionId: revisionId,
        body: flow.raw,
        explanation: classification.declared
          ? { text: renderExplanation(classification.declared), decision: classification.declared, issues: classification.issues }
          : { text: `${label} by the observed verdict alone`, issues: classification.issues },
      });
      this.evidenceSources.push(sourceId);
      const bytes = RECORD_BYTES + approxBytes(flow.raw);
      this.evidenceBytes += bytes;
      added += bytes;
    }
    this.heldBytes += added;
    return added;
  }

  /**
   * Takes the records of every window that ended at or before `closedBefore` (all of them when undefined),
   * with the evidence gathered so far.
   */
  take(closedBefore?: number): TakenWindows {
    const records: FlowRecordRow[] = [];
    const recordSources: string[] = [];
    let bytes = this.evidenceBytes;
    if (closedBefore === undefined) {
      for (const record of this.open.values()) {
        records.push(toRow(record));
        recordSources.push(record.sourceId);
        bytes += record.bytes;
      }
      this.open = new Map();
    } else {
      for (const [key, record] of this.open) {
        if (record.row.windowEnd.getTime() <= closedBefore) {
          records.push(toRow(record));
          recordSources.push(record.sourceId);
          bytes += record.bytes;
          this.open.delete(key);
        }
      }
    }
    const evidence = this.evidence;
    const evidenceSources = this.evidenceSources;
    this.evidence = [];
    this.evidenceSources = [];
    this.evidenceBytes = 0;
    this.heldBytes -= bytes;
    return { records, evidence, recordSources, evidenceSources, bytes };
  }

  /** The start of the oldest window still open, or undefined. */
  oldestOpenWindow(): number | undefined {
    let oldest: number | undefined;
    for (const record of this.open.values()) {
      const start = record.row.windowStart.getTime();
      if (oldest === undefined || start < oldest) oldest = start;
    }
    return oldest;
  }
}

function toRow(record: OpenRecord): FlowRecordRow {
  return {
    ...record.row,
    flowCount: record.flowCount,
    firstSeen: new Date(record.firstSeen),
    lastSeen: new Date(record.lastSeen),
    issues: [...record.issues].sort(),
  };
}
