import type { FlowIssueCode } from '@driftwatch/contracts';
import { recordedConnection, type Classification, type Flow, type FlowEndpoint } from '@driftwatch/flow';
import type { EvidenceRow, FlowRecordRow } from '@driftwatch/persistence';
import type { EndpointIdentityRow } from '@driftwatch/persistence';
import { renderExplanation, type HalfDecision, type RuleMatch } from '@driftwatch/policy-engine';
import { approxBytes } from './approx-bytes.js';
import { EndpointIdentities, type EndpointIdentity } from './endpoint-identities.js';

interface OpenRecord {
  row: Omit<FlowRecordRow, 'flowCount' | 'firstSeen' | 'lastSeen' | 'issues' | 'allowedBy'>;
  flowCount: number;
  firstSeen: number;
  lastSeen: number;
  issues: Set<FlowIssueCode>;
  /** Rules that admitted the flows of an allowed record (one or two, rarely more); the halves last seen, to skip decisions already counted. */
  allowedBy: string[] | undefined;
  lastEgress: HalfDecision | undefined;
  lastIngress: HalfDecision | undefined;
  evidence: number;
  /** The source (collector id) whose flows these are. */
  sourceId: string;
  /** Estimated bytes held for this record. */
  bytes: number;
}

/** What one flush takes out of the open windows. */
export interface TakenWindows {
  /**
   * Endpoint identities first seen, or due again (to move their `last_seen` forward), since the last take
   * (records of this take or a later one point at them).
   */
  readonly identities: EndpointIdentityRow[];
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


/**
 * The key index of one window: nested maps from the source, each side's key fields and the port down to a map
 * from the remaining (mostly constant) fields to the record. Looking up short strings level by level costs about
 * half of building and hashing one long key string per flow, and allocates nothing once a key is known.
 */
type KeyNode = Map<unknown, unknown>;

function child(node: KeyNode, key: unknown): KeyNode {
  let next = node.get(key) as KeyNode | undefined;
  if (next === undefined) node.set(key, (next = new Map()));
  return next;
}

/** Steps through one side's connection-key fields (same fields as {@link side}); the tag keeps the shapes apart. */
function sideNode(node: KeyNode, endpoint: FlowEndpoint): KeyNode {
  if (endpoint.kind === 'pod') {
    const workload = endpoint.workload?.name ?? endpoint.podName ?? endpoint.reportedName;
    return workload === undefined ? child(child(child(node, 'pod-ip'), endpoint.namespace), endpoint.ip) : child(child(child(node, 'pod'), endpoint.namespace), workload);
  }
  return child(child(child(child(node, 'other'), endpoint.namespace), endpoint.reportedName), endpoint.ip);
}

/** The records of one window, and their key index (none with window 0: every flow is its own record). */
interface OpenWindow {
  readonly start: number;
  readonly end: number;
  readonly index: KeyNode | undefined;
  readonly records: OpenRecord[];
}

/** `namespace/policy#ingress[0]`: how records name a rule (0-based position in the manifest), once per RuleMatch. */
const ruleRefs = new WeakMap<RuleMatch, string>();
function ruleRef(half: HalfDecision): string | undefined {
  const match = half.allowedBy;
  if (match === undefined) return undefined;
  let ref = ruleRefs.get(match);
  if (ref === undefined) ruleRefs.set(match, (ref = `${match.policy.namespace}/${match.policy.name}#${half.direction}[${match.rule}]`));
  return ref;
}

/**
 * Aggregates classified flows per window (ARCHITECTURE.md §2) by (connection key, direction, observed verdict,
 * drop reason, label, drift kind, policy revision, and, for labeled flows, the endpoint identity of each side),
 * with counts, first/last seen and a sample flow id; keeps up to `evidencePerKey` raw bodies of denied and
 * unexpected flows per key and window. Window 0 = one record per flow. An allowed record keeps the rules that
 * admitted its flows (both halves), merged over the window: flows of one key and revision share them, unless
 * their addresses fall in different ipBlocks.
 */
export class WindowAggregator {
  private windows = new Map<number, OpenWindow>();
  private open = 0;
  private evidence: EvidenceRow[] = [];
  private evidenceSources: string[] = [];
  private evidenceBytes = 0;
  private heldBytes = 0;
  private readonly identities = new EndpointIdentities();

  constructor(
    private readonly windowMs: number,
    private readonly evidencePerKey: number,
  ) {}

  get openRecords(): number {
    return this.open;
  }

  /** Estimated bytes held: open records and the evidence gathered since the last take. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Adds one classified flow of source `sourceId`. Returns the bytes it added (for backpressure). */
  add(sourceId: string, flow: Flow, classification: Classification, revisionId: number | null): number {
    const windowStart = this.windowMs > 0 ? flow.time - (flow.time % this.windowMs) : flow.time;
    const label = classification.label ?? null;
    let window = this.windows.get(windowStart);
    if (window === undefined) {
      window = { start: windowStart, end: windowStart + Math.max(this.windowMs, 1), index: this.windowMs > 0 ? new Map() : undefined, records: [] };
      this.windows.set(windowStart, window);
    }
    // Only labeled flows (connection attempts) are ever judged again, so only they need their identities kept.
    let srcIdentity: EndpointIdentity | undefined;
    let dstIdentity: EndpointIdentity | undefined;
    let added = 0;
    if (label !== null) {
      const before = this.identities.pendingBytes;
      srcIdentity = this.identities.of(flow.src, flow.time);
      dstIdentity = this.identities.of(flow.dst, flow.time);
      added += this.identities.pendingBytes - before;
    }
    let leaf: Map<string, OpenRecord> | undefined;
    let rest = '';
    let record: OpenRecord | undefined;
    if (window.index !== undefined) {
      const sides = sideNode(sideNode(child(window.index, sourceId), flow.src), flow.dst);
      const node = child(child(child(sides, flow.dstPort), srcIdentity), dstIdentity);
      rest = `${flow.source}|${flow.cluster ?? ''}|${flow.protocol}|${flow.direction}|${flow.verdict}|${flow.dropReason}|${flow.event}|${label}|${classification.drift}|${revisionId}`;
      leaf = node as unknown as Map<string, OpenRecord>;
      record = leaf.get(rest);
    }
    if (!record) {
      record = {
        row: Object.assign(recordedConnection(flow), {
          windowStart: new Date(windowStart),
          windowEnd: new Date(window.end),
          source: flow.source,
          cluster: flow.cluster ?? '',
          event: flow.event,
          label,
          driftKind: classification.drift ?? null,
          policyRevisionId: revisionId,
          sampleFlowId: flow.id,
          srcIdentity: srcIdentity?.id ?? null,
          dstIdentity: dstIdentity?.id ?? null,
        }),
        flowCount: 0,
        firstSeen: flow.time,
        lastSeen: flow.time,
        issues: new Set(),
        allowedBy: label === 'allowed' ? [] : undefined,
        lastEgress: undefined,
        lastIngress: undefined,
        evidence: 0,
        sourceId,
        bytes: RECORD_BYTES + rest.length,
      };
      window.records.push(record);
      leaf?.set(rest, record);
      this.open += 1;
      added += record.bytes;
    }
    record.flowCount += flow.count;
    if (flow.time < record.firstSeen) record.firstSeen = flow.time;
    if (flow.time > record.lastSeen) record.lastSeen = flow.time;
    for (const issue of classification.issues) record.issues.add(issue);
    const declared = classification.declared;
    if (record.allowedBy !== undefined && declared !== undefined && (declared.egress !== record.lastEgress || declared.ingress !== record.lastIngress)) {
      // Halves are shared objects per distinct decision: a pointer comparison skips the decisions already counted.
      record.lastEgress = declared.egress;
      record.lastIngress = declared.ingress;
      added += attribute(record, declared.egress) + attribute(record, declared.ingress);
    }
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
    for (const [start, window] of this.windows) {
      if (closedBefore !== undefined && window.end > closedBefore) continue;
      for (const record of window.records) {
        records.push(toRow(record));
        recordSources.push(record.sourceId);
        bytes += record.bytes;
      }
      this.open -= window.records.length;
      this.windows.delete(start);
    }
    const evidence = this.evidence;
    const evidenceSources = this.evidenceSources;
    this.evidence = [];
    this.evidenceSources = [];
    this.evidenceBytes = 0;
    const identities = this.identities.takeNew();
    bytes += identities.bytes;
    this.heldBytes -= bytes;
    return { identities: identities.rows, records, evidence, recordSources, evidenceSources, bytes };
  }

  /** The start of the oldest window still open, or undefined. */
  oldestOpenWindow(): number | undefined {
    let oldest: number | undefined;
    for (const start of this.windows.keys()) if (oldest === undefined || start < oldest) oldest = start;
    return oldest;
  }
}

/** Adds the rule that admitted a half to an allowed record, once; returns the bytes it added. */
function attribute(record: OpenRecord, half: HalfDecision): number {
  const ref = ruleRef(half);
  const rules = record.allowedBy as string[];
  if (ref === undefined || rules.includes(ref)) return 0;
  rules.push(ref);
  const bytes = 2 * ref.length + 16;
  record.bytes += bytes;
  return bytes;
}

function toRow(record: OpenRecord): FlowRecordRow {
  return {
    ...record.row,
    flowCount: record.flowCount,
    firstSeen: new Date(record.firstSeen),
    lastSeen: new Date(record.lastSeen),
    issues: [...record.issues].sort(),
    allowedBy: record.allowedBy === undefined ? null : record.allowedBy.sort(),
  };
}
