/**
 * Deterministic synthetic Hubble traffic for a {@link SyntheticCluster}: GetFlowsResponse objects as the
 * relay would send them, each with the classification the cluster's declared policies imply. Per connection:
 * an egress policy verdict (SYN), the ingress trace at the destination, the SYN-ACK reply and an established
 * ACK; plus policy drops of forbidden pairs, non-policy drops (CT_MAP_INSERTION_FAILED,
 * STALE_OR_UNROUTABLE_IP), DNS over UDP, internet destinations (`reserved:world`, CIDR identities),
 * optional lost_events, and drift: forbidden pairs that get through (unenforced-deny) and allowed edges that
 * are policy-dropped (unexpected-drop). Times increase monotonically; uuids come from the seed.
 */
import type { DriftKind, FlowLabel } from '@driftwatch/contracts';
import type { GrpcGetFlowsResponse } from './hubble-messages.js';
import { Prng } from '@driftwatch/common';
import type { SyntheticCluster, SyntheticEdge, SyntheticExternal, SyntheticPod, SyntheticPort, SyntheticWorkload } from './synthetic-cluster.js';

export interface SyntheticTrafficOptions {
  readonly seed?: number;
  /** Number of messages to generate. */
  readonly count: number;
  /** Time of the first message, epoch ms. Default 2026-01-01T00:00:00Z. */
  readonly startTimeMs?: number;
  /** Mean gap between messages in microseconds (default 200). */
  readonly meanGapMicros?: number;
  /** Share of connections that are drift, half of each kind (default 0.02). */
  readonly driftRate?: number;
  /** Share of connections to forbidden pairs that are correctly policy-dropped (default 0.03). */
  readonly deniedRate?: number;
  /** Share of allowed connections dropped for a non-policy reason (default 0.01). */
  readonly nonPolicyDropRate?: number;
  /** Emit a lost_events message every N messages (0 = never, the default). */
  readonly lostEventsEvery?: number;
}

/** What a generated message should come out as. */
export interface SyntheticExpectation {
  readonly kind: 'flow' | 'lost_events';
  /** The normalized event kind (see @driftwatch/flow FlowEventKind). */
  readonly event: 'connection' | 'established' | 'reply' | undefined;
  readonly label: FlowLabel | undefined;
  readonly drift: DriftKind | undefined;
}

export interface SyntheticHubbleEvent {
  readonly response: GrpcGetFlowsResponse;
  readonly expected: SyntheticExpectation;
}

interface PodPeer {
  readonly pod: SyntheticPod;
  readonly workload: SyntheticWorkload;
}
type Peer = PodPeer | SyntheticExternal;
type Scenario = 'allowed' | 'non-policy-drop' | 'denied' | 'unenforced-deny' | 'unexpected-drop';

const EMITTER = Object.freeze({ name: 'Hubble', version: '1.19.1+gsynthetic' });
const FLAGS_SYN = Object.freeze({ SYN: true });
const FLAGS_SYN_ACK = Object.freeze({ SYN: true, ACK: true });
const FLAGS_ACK = Object.freeze({ ACK: true });
const REPLY = Object.freeze({ value: true });
const FORWARD = Object.freeze({});
const POLICY_VERDICT_EVENT = Object.freeze({ type: 5 });
const TO_ENDPOINT_EVENT = Object.freeze({ type: 4, sub_type: 0 });
const TO_STACK_EVENT = Object.freeze({ type: 4, sub_type: 3 });
const DROP_EVENT_133 = Object.freeze({ type: 1, sub_type: 133 });
const POLICY_DENIED = [133, 'POLICY_DENIED'] as const;
const CT_MAP_INSERTION_FAILED = [155, 'CT_MAP_INSERTION_FAILED'] as const;
const STALE_OR_UNROUTABLE_IP = [151, 'STALE_OR_UNROUTABLE_IP'] as const;

function expect(event: SyntheticExpectation['event'], label: SyntheticExpectation['label'], drift: SyntheticExpectation['drift']): SyntheticExpectation {
  return Object.freeze({ kind: 'flow', event, label, drift });
}
const ALLOWED = expect('connection', 'allowed', undefined);
const DENIED = expect('connection', 'denied', undefined);
const UNENFORCED = expect('connection', 'unexpected', 'unenforced-deny');
const UNEXPECTED_DROP = expect('connection', 'unexpected', 'unexpected-drop');
const REPLY_EVENT = expect('reply', undefined, undefined);
const ESTABLISHED = expect('established', undefined, undefined);
const LOST = Object.freeze({ kind: 'lost_events', event: undefined, label: undefined, drift: undefined } as const);

function isPod(peer: Peer): peer is PodPeer {
  return 'pod' in peer;
}

/** Generates synthetic traffic (see the module comment). */
export function* generateHubbleTraffic(cluster: SyntheticCluster, options: SyntheticTrafficOptions): Generator<SyntheticHubbleEvent> {
  const prng = new Prng(options.seed ?? 7);
  const gap = options.meanGapMicros ?? 200;
  const driftRate = options.driftRate ?? 0.02;
  const deniedRate = options.deniedRate ?? 0.03;
  const nonPolicyDropRate = options.nonPolicyDropRate ?? 0.01;
  const lostEvery = options.lostEventsEvery ?? 0;
  const endpointCache = new Map<string, Record<string, unknown>>();
  const edgeKeys = new Set(cluster.edges.map((e) => `${e.from.namespace}/${e.from.name}>${e.to === 'internet' ? 'internet' : `${e.to.namespace}/${e.to.name}`}:${e.port.port}/${e.port.protocol}`));
  const dnsPort = cluster.dns.ports[0] as SyntheticPort;
  // The last external peer is never an allowed destination: only drift goes there.
  const allowedExternals = cluster.externals.slice(0, -1);
  let micros = (options.startTimeMs ?? Date.UTC(2026, 0, 1)) * 1000;
  let emitted = 0;

  const endpoint = (peer: Peer, local: boolean): Record<string, unknown> => {
    if (!isPod(peer)) return { identity: peer.identity, labels: peer.labels };
    const key = `${peer.pod.name}|${local}`;
    let ep = endpointCache.get(key);
    if (ep === undefined) {
      ep = {
        ...(local ? { ID: peer.pod.endpointId } : {}),
        identity: peer.workload.identity, cluster_name: cluster.name, namespace: peer.workload.namespace,
        labels: peer.workload.ciliumLabels, pod_name: peer.pod.name, workloads: [{ name: peer.workload.name, kind: 'Deployment' }],
      };
      endpointCache.set(key, ep);
    }
    return ep;
  };
  const nodeOf = (peer: Peer, fallback: string): string => (isPod(peer) ? peer.pod.node : fallback);
  const ipOf = (peer: Peer): string => (isPod(peer) ? peer.pod.ip : peer.ip);
  const tick = (): { seconds: string; nanos: number } => {
    micros += prng.int(1, gap * 2);
    const seconds = Math.floor(micros / 1_000_000);
    return { seconds: String(seconds), nanos: (micros - seconds * 1_000_000) * 1000 };
  };

  /**
   * One observed packet of the connection from → to. `reply` packets travel to → from. `at` is the observing
   * node; `drop` is [code, name] for DROPPED.
   */
  const packet = (
    from: Peer, to: Peer, sport: number, port: SyntheticPort, reply: boolean, at: string, flags: object | undefined,
    verdict: string, direction: 'EGRESS' | 'INGRESS', eventType: object, point: string | undefined, traceReason: string,
    drop: readonly [number, string] | undefined,
  ): GrpcGetFlowsResponse => {
    const time = tick();
    const node = cluster.name === 'default' ? at : `${cluster.name}/${at}`;
    const src = reply ? to : from;
    const dst = reply ? from : to;
    const sourcePort = reply ? port.port : sport;
    const destinationPort = reply ? sport : port.port;
    const l4 = port.protocol === 'UDP'
      ? { UDP: { source_port: sourcePort, destination_port: destinationPort } }
      : { TCP: { source_port: sourcePort, destination_port: destinationPort, flags } };
    const flow: Record<string, unknown> = {
      time, uuid: prng.uuid(), emitter: EMITTER, verdict,
      IP: { source: ipOf(src), destination: ipOf(dst), ipVersion: 'IPv4' }, l4,
      source: endpoint(src, isPod(src) && src.pod.node === at), destination: endpoint(dst, isPod(dst) && dst.pod.node === at),
      Type: 'L3_L4', node_name: node, event_type: eventType, traffic_direction: direction, trace_reason: traceReason,
      is_reply: reply ? REPLY : FORWARD, Summary: port.protocol === 'UDP' ? 'UDP' : 'TCP Flags: SYN',
    };
    if (point !== undefined) flow['trace_observation_point'] = point;
    if (drop !== undefined) {
      flow['drop_reason'] = drop[0];
      flow['drop_reason_desc'] = drop[1];
    }
    return { flow, node_name: node, time };
  };

  const randomPod = (w: SyntheticWorkload): PodPeer => ({ pod: prng.pick(w.pods), workload: w });
  const forbiddenPair = (): { from: Peer; to: Peer; port: SyntheticPort } => {
    for (;;) {
      const from = prng.pick(cluster.workloads);
      if (prng.chance(0.2)) {
        const external = prng.pick(cluster.externals);
        if (!edgeKeys.has(`${from.namespace}/${from.name}>internet:443/TCP`)) return { from: randomPod(from), to: external, port: { name: 'https', port: 443, protocol: 'TCP' } };
        continue;
      }
      const to = prng.pick(cluster.workloads);
      const port = prng.pick(to.ports);
      if (to !== from && !edgeKeys.has(`${from.namespace}/${from.name}>${to.namespace}/${to.name}:${port.port}/${port.protocol}`)) return { from: randomPod(from), to: randomPod(to), port };
    }
  };
  const allowedPair = (): { from: Peer; to: Peer; port: SyntheticPort } => {
    if (prng.chance(0.15)) return { from: randomPod(prng.pick(cluster.workloads)), to: randomPod(cluster.dns), port: dnsPort };
    const edge: SyntheticEdge = prng.pick(cluster.edges);
    return { from: randomPod(edge.from), to: edge.to === 'internet' ? prng.pick(allowedExternals) : randomPod(edge.to), port: edge.port };
  };

  let out: SyntheticHubbleEvent[] = [];
  let next = 0;
  const push = (response: GrpcGetFlowsResponse, expected: SyntheticExpectation): void => {
    out.push({ response, expected });
  };
  const connection = (scenario: Scenario): void => {
    const { from, to, port } = scenario === 'denied' || scenario === 'unenforced-deny' ? forbiddenPair() : allowedPair();
    const sport = prng.int(32768, 60999);
    const srcNode = nodeOf(from, 'worker-1');
    const dstNode = nodeOf(to, srcNode);
    const tcp = port.protocol === 'TCP';
    const syn = tcp ? FLAGS_SYN : undefined;
    if (scenario === 'denied') {
      push(packet(from, to, sport, port, false, srcNode, syn, 'DROPPED', 'EGRESS', DROP_EVENT_133, undefined, 'NEW', POLICY_DENIED), DENIED);
      return;
    }
    const forward = scenario === 'unenforced-deny' ? UNENFORCED : ALLOWED;
    push(packet(from, to, sport, port, false, srcNode, syn, 'FORWARDED', 'EGRESS', POLICY_VERDICT_EVENT, undefined, 'NEW', undefined), forward);
    if (!isPod(to)) {
      push(packet(from, to, sport, port, true, srcNode, FLAGS_SYN_ACK, 'FORWARDED', 'EGRESS', TO_ENDPOINT_EVENT, 'TO_ENDPOINT', 'REPLY', undefined), REPLY_EVENT);
      return;
    }
    if (scenario === 'unexpected-drop' || scenario === 'non-policy-drop') {
      const drop = scenario === 'unexpected-drop' ? POLICY_DENIED : prng.chance(0.5) ? CT_MAP_INSERTION_FAILED : STALE_OR_UNROUTABLE_IP;
      push(packet(from, to, sport, port, false, dstNode, syn, 'DROPPED', 'INGRESS', { type: 1, sub_type: drop[0] }, undefined, 'NEW', drop),
        scenario === 'unexpected-drop' ? UNEXPECTED_DROP : ALLOWED);
      return;
    }
    push(packet(from, to, sport, port, false, dstNode, syn, 'FORWARDED', 'INGRESS', TO_ENDPOINT_EVENT, 'TO_ENDPOINT', 'NEW', undefined), forward);
    push(packet(from, to, sport, port, true, srcNode, tcp ? FLAGS_SYN_ACK : undefined, 'FORWARDED', 'EGRESS', TO_ENDPOINT_EVENT, 'TO_ENDPOINT', 'REPLY', undefined), REPLY_EVENT);
    if (tcp) push(packet(from, to, sport, port, false, srcNode, FLAGS_ACK, 'FORWARDED', 'EGRESS', TO_STACK_EVENT, 'TO_STACK', 'ESTABLISHED', undefined), ESTABLISHED);
  };

  while (emitted < options.count) {
    if (next === out.length) {
      out = [];
      next = 0;
      const r = prng.next();
      const scenario: Scenario =
        r < driftRate / 2 ? 'unenforced-deny'
          : r < driftRate ? 'unexpected-drop'
            : r < driftRate + deniedRate ? 'denied'
              : r < driftRate + deniedRate + nonPolicyDropRate ? 'non-policy-drop'
                : 'allowed';
      connection(scenario);
    }
    yield out[next++] as SyntheticHubbleEvent;
    emitted++;
    if (lostEvery > 0 && emitted % lostEvery === 0 && emitted < options.count) {
      const time = tick();
      yield {
        response: { lost_events: { source: 'HUBBLE_RING_BUFFER', num_events_lost: String(prng.int(1, 500)) }, node_name: `${cluster.name}/${prng.pick(cluster.nodes)}`, time },
        expected: LOST,
      };
      emitted++;
    }
  }
}

/** Just the responses of {@link generateHubbleTraffic}. */
export function* generateHubbleResponses(cluster: SyntheticCluster, options: SyntheticTrafficOptions): Generator<GrpcGetFlowsResponse> {
  for (const event of generateHubbleTraffic(cluster, options)) yield event.response;
}
