import {
  WHATIF_SAMPLES_PER_TRANSITION, type ConnectionEnd, type FlowLabel, type WhatIfSample, type WhatIfTransition,
} from '@driftwatch/contracts';
import type { Endpoint, PolicySnapshot } from '@driftwatch/policy-engine';
import { declaredFor, isPolicyProtocol, judgeConnection } from './classify.js';
import type { RecordedConnection } from './connection-side.js';
import type { LabelMap, ObservedVerdict } from './flow.model.js';
import { isPolicyDropReason } from './hubble-enums.js';

/**
 * What the records keep of one side beyond namespace, workload and address (the endpoint identity written with
 * them), or that they keep nothing:
 * - `external`: the pipeline judged the side as an external peer, by its address;
 * - `pod`: a pod with the labels its flows carried (null: none carried, so the inventory's were used);
 * - `unknown`: written before identities were kept, or its identity is missing: judged from the candidate's
 *   inventory (a side with a namespace is taken for a pod, one without for an external peer), "approximate".
 */
export type StoredSide =
  | { readonly kind: 'external' }
  | { readonly kind: 'pod'; readonly namespace: string; readonly labels: LabelMap | null; readonly namespaceLabels: LabelMap | null }
  | { readonly kind: 'unknown' };

/**
 * Labeled connection records that share every field below, summed (records and flows of a range): what a what-if
 * judges again. Rows of one connection (src, dst, port, protocol) must come one after another, so that samples
 * count each connection once.
 */
export interface StoredConnection extends RecordedConnection {
  readonly label: FlowLabel;
  readonly src: StoredSide;
  readonly dst: StoredSide;
  /** Whether every record's own decision lacked a pod address it needed (issue `pod_ip_unknown`). */
  readonly podIpUnknownAtIngest: boolean;
  readonly records: number;
  readonly flows: number;
}

/** The outcome of a what-if, without timing and scope (the caller adds those). */
export interface WhatIfOutcome {
  readonly transitions: WhatIfTransition[];
  readonly records: number;
  readonly flows: number;
  readonly unchanged: number;
  readonly approximate: number;
  /** Records that are allowed or denied now and would be unexpected. */
  readonly becomeUnexpected: number;
}

interface TransitionTally {
  readonly from: FlowLabel;
  readonly to: FlowLabel;
  records: number;
  flows: number;
  /** The biggest connections so far, most flows first, at most WHATIF_SAMPLES_PER_TRANSITION. */
  readonly samples: WhatIfSample[];
}

const EXTERNAL_CACHE_LIMIT = 100_000;
const POD_CACHE_LIMIT = 50_000;

/**
 * Judges stored connections again against a candidate revision, with the classification table of the pipeline
 * ({@link judgeConnection}): the candidate's declared verdict for the observed direction against what the network
 * did, as stored. Memory is bounded by the transitions (at most 6) and their samples, plus endpoint caches that
 * start over when full; the engine's warm decision cache does the rest (connections repeat).
 */
export class WhatIfEvaluator {
  private readonly tallies = new Map<string, TransitionTally>();
  private records = 0;
  private flows = 0;
  private unchanged = 0;
  private approximate = 0;
  private becomeUnexpected = 0;
  private readonly pods = new Map<string, Endpoint>();
  private readonly externals = new Map<string, Endpoint>();
  private readonly sideIds = new WeakMap<StoredSide, number>();
  private nextSideId = 1;
  /** The connection being summed (rows of one connection are adjacent) and its flows per transition. */
  private current: { key: string; sample: Omit<WhatIfSample, 'flows'>; flows: Map<TransitionTally, number> } | undefined;

  constructor(private readonly snapshot: PolicySnapshot) {}

  /** Judges one row again and counts it. Never throws on the row's content. */
  add(row: StoredConnection): void {
    this.records += row.records;
    this.flows += row.flows;
    const { label: after, approximate } = this.judge(row);
    if (approximate) this.approximate += row.records;
    this.track(row);
    if (after === row.label) {
      this.unchanged += row.records;
      return;
    }
    if (after === 'unexpected') this.becomeUnexpected += row.records;
    const key = `${row.label}>${after}`;
    let tally = this.tallies.get(key);
    if (tally === undefined) this.tallies.set(key, (tally = { from: row.label, to: after, records: 0, flows: 0, samples: [] }));
    tally.records += row.records;
    tally.flows += row.flows;
    const current = this.current as NonNullable<typeof this.current>;
    current.flows.set(tally, (current.flows.get(tally) ?? 0) + row.flows);
  }

  /** The transitions (most records first) and totals so far. */
  outcome(): WhatIfOutcome {
    this.closeConnection();
    const transitions = [...this.tallies.values()]
      .sort((a, b) => b.records - a.records || b.flows - a.flows || `${a.from}>${a.to}`.localeCompare(`${b.from}>${b.to}`))
      .map((t) => ({ from: t.from, to: t.to, records: t.records, flows: t.flows, samples: [...t.samples] }));
    return {
      transitions, records: this.records, flows: this.flows, unchanged: this.unchanged, approximate: this.approximate,
      becomeUnexpected: this.becomeUnexpected,
    };
  }

  /** The label under the candidate, and whether it was judged with less than the pipeline knew. */
  private judge(row: StoredConnection): { label: FlowLabel; approximate: boolean } {
    const observed = row.observed as ObservedVerdict;
    const policyDrop = isPolicyDropReason(row.dropReason);
    let approximate = row.src.kind === 'unknown' || row.dst.kind === 'unknown';
    if (!isPolicyProtocol(row.protocol)) return { label: judgeConnection(observed, policyDrop, undefined).label, approximate };
    const src = this.endpoint(row.src, row.srcNamespace, row.srcWorkload, row.srcIp);
    const dst = this.endpoint(row.dst, row.dstNamespace, row.dstWorkload, row.dstIp);
    const decision = this.snapshot.evaluate(src, dst, row.dstPort ?? 0, row.protocol);
    // Records keep a pod's address only when it has no workload: an ipBlock rule consulted for a pod is then
    // decided without it, where the pipeline had it.
    if (!row.podIpUnknownAtIngest && decision.issues.includes('pod_ip_unknown')) approximate = true;
    return { label: judgeConnection(observed, policyDrop, declaredFor(decision, row.direction)).label, approximate };
  }

  /**
   * The engine endpoint of a side, as the pipeline's classifier builds it: the labels the flows carried, else
   * the candidate inventory's pod or workload of that name; named ports (and an address, for a Pod) from the
   * inventory. One object per distinct side, so the engine's caches stay warm.
   */
  private endpoint(side: StoredSide, namespace: string | null, workload: string | null, ip: string | null): Endpoint {
    if (side.kind === 'external' || (side.kind === 'unknown' && namespace === null)) return this.external(ip ?? '');
    let sideId = this.sideIds.get(side);
    if (sideId === undefined) this.sideIds.set(side, (sideId = this.nextSideId++));
    const ns = side.kind === 'pod' ? side.namespace : (namespace as string);
    const key = `${sideId}\u0000${ns}\u0000${workload ?? ''}\u0000${ip ?? ''}`;
    let endpoint = this.pods.get(key);
    if (endpoint !== undefined) return endpoint;
    const known = workload !== null ? this.snapshot.endpoint(ns, workload) : undefined;
    const labels = (side.kind === 'pod' ? side.labels : null) ?? known?.labels;
    const namespaceLabels = (side.kind === 'pod' ? side.namespaceLabels : null) ?? known?.namespaceLabels;
    const address = ip ?? known?.ip;
    endpoint = Object.freeze({
      kind: 'pod' as const,
      namespace: ns,
      ...(workload !== null ? { name: workload } : {}),
      ...(labels !== undefined ? { labels } : {}),
      ...(namespaceLabels !== undefined ? { namespaceLabels } : {}),
      ...(address !== undefined ? { ip: address } : {}),
      ...(known?.namedPorts !== undefined ? { namedPorts: known.namedPorts } : {}),
    });
    if (this.pods.size >= POD_CACHE_LIMIT) this.pods.clear();
    this.pods.set(key, endpoint);
    return endpoint;
  }

  private external(ip: string): Endpoint {
    let endpoint = this.externals.get(ip);
    if (endpoint === undefined) {
      endpoint = Object.freeze({ kind: 'external' as const, ip });
      if (this.externals.size >= EXTERNAL_CACHE_LIMIT) this.externals.clear();
      this.externals.set(ip, endpoint);
    }
    return endpoint;
  }

  /** Starts summing a new connection when this row is of another one than the previous row. */
  private track(row: StoredConnection): void {
    const key = connectionKey(row);
    if (this.current?.key === key) return;
    this.closeConnection();
    this.current = {
      key,
      sample: { src: end(row.srcNamespace, row.srcWorkload, row.srcIp), dst: end(row.dstNamespace, row.dstWorkload, row.dstIp), port: row.dstPort, protocol: row.protocol },
      flows: new Map(),
    };
  }

  /** Offers the finished connection to the samples of each transition it took part in. */
  private closeConnection(): void {
    const current = this.current;
    if (current === undefined) return;
    this.current = undefined;
    for (const [tally, flows] of current.flows) offer(tally.samples, { ...current.sample, flows });
  }
}

function end(namespace: string | null, workload: string | null, ip: string | null): ConnectionEnd {
  return { namespace, workload, ip };
}

function connectionKey(row: StoredConnection): string {
  return `${row.srcNamespace}\u0000${row.srcWorkload}\u0000${row.srcIp}\u0000${row.dstNamespace}\u0000${row.dstWorkload}\u0000${row.dstIp}\u0000${row.dstPort}\u0000${row.protocol}`;
}

/** Keeps the biggest samples, most flows first (ties: the one seen first stays ahead). */
function offer(samples: WhatIfSample[], sample: WhatIfSample): void {
  if (samples.length >= WHATIF_SAMPLES_PER_TRANSITION && (samples[samples.length - 1] as WhatIfSample).flows >= sample.flows) return;
  let at = samples.length;
  while (at > 0 && (samples[at - 1] as WhatIfSample).flows < sample.flows) at--;
  samples.splice(at, 0, sample);
  if (samples.length > WHATIF_SAMPLES_PER_TRANSITION) samples.pop();
}

/**
 * Runs a what-if over chunks of stored connections (a database cursor): one evaluator, the candidate compiled
 * once. `signal` stops it between chunks (the caller's time limit); it then rejects with the signal's reason.
 */
export async function evaluateWhatIf(
  snapshot: PolicySnapshot,
  chunks: AsyncIterable<readonly StoredConnection[]>,
  signal?: AbortSignal,
): Promise<WhatIfOutcome> {
  const evaluator = new WhatIfEvaluator(snapshot);
  for await (const chunk of chunks) {
    signal?.throwIfAborted();
    for (const row of chunk) evaluator.add(row);
  }
  signal?.throwIfAborted();
  return evaluator.outcome();
}
