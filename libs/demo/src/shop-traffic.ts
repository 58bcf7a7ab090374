/**
 * The traffic the demo source plays: `observer.GetFlowsResponse` objects (proto-loader form: keepCase, longs and
 * enums as strings) of the shop at work, as Cilium 1.19's Hubble reports them. Per connection, the events a real
 * agent emits: the policy verdict at the client's egress, the policy verdict (or, for an endpoint no policy selects,
 * the trace) at the server's ingress, the SYN-ACK reply and the established ACK; drops where policy or the datapath
 * refuses. Steady traffic: frontend → backend (8080), backend → database (5432), DNS to CoreDNS, backend → a
 * payments API (443); denied probes: scanners → frontend, database → internet, frontend → backend's metrics port;
 * now and then a conntrack drop. Every `driftEveryMs` of flow time one drift, in turn: frontend → database
 * (forwarded though declared deny), frontend → an outside address, a policy drop of frontend → backend (declared
 * allow), database → an outside address (the next of six each time, so new alerts open for the first minute).
 *
 * A pure function of its options: the same seed and start time give the same messages (uuids included); the seed
 * alone fixes what happens, the start time only where it lands in time (and the uuids, so two runs never share one).
 */
import { Prng } from '@driftwatch/common';
import type { DriftKind, FlowLabel } from '@driftwatch/contracts';
import {
  CLUSTER_NAME, EXFILTRATION_TARGETS, PAYMENT_APIS, PODS, PORTS, SCANNERS, type DemoExternal, type DemoPod,
} from './shop-cluster.js';

/** A `google.protobuf.Timestamp` as proto-loader reads and writes it. */
export interface GrpcTimestamp {
  readonly seconds: string;
  readonly nanos: number;
}

/** An `observer.GetFlowsResponse` carrying a flow (the only kind the traffic holds). */
export interface DemoResponse {
  readonly flow: Readonly<Record<string, unknown>>;
  readonly node_name: string;
  readonly time: GrpcTimestamp;
}

/** What a message should come out as once normalized and classified against examples/shop/policies. */
export interface DemoExpectation {
  readonly scenario: DemoScenario;
  readonly event: 'connection' | 'reply' | 'established';
  readonly label: FlowLabel | undefined;
  readonly drift: DriftKind | undefined;
}

export interface DemoEvent {
  /** Flow time, epoch microseconds. */
  readonly timeMicros: number;
  readonly response: DemoResponse;
  readonly expected: DemoExpectation;
}

/** Steady traffic. */
export const STEADY_SCENARIOS = ['web', 'orders-db', 'dns', 'payments', 'scan', 'database-egress', 'metrics-probe', 'conntrack-drop'] as const;
/** Drift, played in this order, one every `driftEveryMs`. */
export const DRIFT_SCENARIOS = ['frontend-to-database', 'frontend-to-internet', 'backend-policy-drop', 'database-to-internet'] as const;
export type DemoScenario = (typeof STEADY_SCENARIOS)[number] | (typeof DRIFT_SCENARIOS)[number];

/** Shares of steady connections (they add up to 1). */
const WEIGHTS: Readonly<Record<(typeof STEADY_SCENARIOS)[number], number>> = {
  web: 0.36, 'orders-db': 0.24, dns: 0.22, payments: 0.08, scan: 0.04, 'database-egress': 0.02, 'metrics-probe': 0.02, 'conntrack-drop': 0.02,
};

export interface ShopTrafficOptions {
  /** Fixes what happens (which connections, pods, ports). */
  readonly seed: number;
  /** Flow time of the first message, epoch ms. */
  readonly startMs: number;
  /** Mean messages per second of flow time. */
  readonly flowsPerSecond: number;
  /** Flow time between two drift connections (default 5000 ms). */
  readonly driftEveryMs?: number;
  /** Flow time of the first drift connection after the start (default 2000 ms). */
  readonly firstDriftAfterMs?: number;
}

const EMITTER = Object.freeze({ name: 'Hubble', version: '1.19.1+driftwatch-demo' });
const SYN = Object.freeze({ SYN: true });
const SYN_ACK = Object.freeze({ SYN: true, ACK: true });
const ACK = Object.freeze({ ACK: true });
const IS_REPLY = Object.freeze({ value: true });
/** A present BoolValue without `value`: false, as proto-loader decodes `is_reply: false`. */
const NOT_REPLY = Object.freeze({});

type Peer = DemoPod | DemoExternal;
type Protocol = 'TCP' | 'UDP';
type Direction = 'EGRESS' | 'INGRESS';

function isPod(peer: Peer): peer is DemoPod {
  return 'workload' in peer;
}

/** A policy as Hubble's correlation reports it (`egress_allowed_by`, …). */
function policy(name: string, kind: 'NetworkPolicy' | 'CiliumNetworkPolicy', revision: string): Readonly<Record<string, unknown>> {
  return Object.freeze({
    name, namespace: 'shop', revision, kind,
    labels: [`k8s:io.cilium.k8s.policy.derived-from=${kind}`, `k8s:io.cilium.k8s.policy.name=${name}`, 'k8s:io.cilium.k8s.policy.namespace=shop'],
  });
}

const DECLARED_REVISION = '4';
const POLICIES = {
  frontendEgress: policy('frontend-egress-to-backend', 'NetworkPolicy', DECLARED_REVISION),
  backendIngress: policy('backend-ingress-from-frontend', 'NetworkPolicy', DECLARED_REVISION),
  backendEgressDb: policy('backend-egress-to-database', 'NetworkPolicy', DECLARED_REVISION),
  databaseIngress: policy('database-ingress-from-backend', 'NetworkPolicy', DECLARED_REVISION),
  dns: policy('allow-dns-egress', 'NetworkPolicy', DECLARED_REVISION),
  backendInternet: policy('backend-egress-to-internet', 'NetworkPolicy', DECLARED_REVISION),
  // Out of band: applied by hand, not in Git. They are what the drift is made of.
  legacyDbAccess: policy('legacy-db-access', 'CiliumNetworkPolicy', '9'),
  telemetryEgress: policy('allow-telemetry-egress', 'CiliumNetworkPolicy', '11'),
  freezeBackend: policy('freeze-backend-ingress', 'CiliumNetworkPolicy', '12'),
};

/** Drop reasons: [code, name]. */
const POLICY_DENIED = [133, 'POLICY_DENIED'] as const;
const POLICY_DENY = [181, 'POLICY_DENY'] as const;
const CT_MAP_INSERTION_FAILED = [155, 'CT_MAP_INSERTION_FAILED'] as const;

/** One event of a connection, before it gets its time and uuid. */
interface Packet {
  readonly from: Peer;
  readonly to: Peer;
  readonly protocol: Protocol;
  readonly srcPort: number;
  readonly dstPort: number;
  /** Where it was observed. */
  readonly node: string;
  readonly direction: Direction;
  readonly verdict: 'FORWARDED' | 'DROPPED';
  readonly eventType: Readonly<Record<string, number>>;
  readonly traceReason: 'NEW' | 'REPLY' | 'ESTABLISHED';
  readonly reply: boolean;
  readonly flags?: Readonly<Record<string, boolean>>;
  readonly point?: 'TO_ENDPOINT' | 'TO_STACK';
  readonly drop?: readonly [number, string];
  readonly correlation?: Readonly<Record<string, readonly Readonly<Record<string, unknown>>[]>>;
  readonly expected: Omit<DemoExpectation, 'scenario'>;
}

const CONNECTION = (label: FlowLabel, drift?: DriftKind): Omit<DemoExpectation, 'scenario'> => ({ event: 'connection', label, drift });
const REPLY: Omit<DemoExpectation, 'scenario'> = { event: 'reply', label: undefined, drift: undefined };
const ESTABLISHED: Omit<DemoExpectation, 'scenario'> = { event: 'established', label: undefined, drift: undefined };

const POLICY_VERDICT = Object.freeze({ type: 5 });
const TRACE_TO_ENDPOINT = Object.freeze({ type: 4 });
const TRACE_TO_STACK = Object.freeze({ type: 4, sub_type: 3 });

/** Endpoint of a flow; the Cilium endpoint id only where the pod lives on the observing node. */
function endpoint(peer: Peer, node: string): Readonly<Record<string, unknown>> {
  if (!isPod(peer)) return { identity: peer.identity, labels: [...peer.labels] };
  return {
    ...(peer.node === node ? { ID: peer.endpointId } : {}),
    identity: peer.workload.identity, cluster_name: CLUSTER_NAME, namespace: peer.workload.namespace,
    labels: [...peer.workload.labels], pod_name: peer.name, workloads: [{ name: peer.workload.name, kind: 'Deployment' }],
  };
}

function summary(protocol: Protocol, flags: Readonly<Record<string, boolean>> | undefined): string {
  if (protocol === 'UDP' || flags === undefined) return protocol;
  return `TCP Flags: ${Object.keys(flags).join(', ')}`;
}

function timestamp(micros: number): GrpcTimestamp {
  const seconds = Math.floor(micros / 1_000_000);
  return { seconds: String(seconds), nanos: (micros - seconds * 1_000_000) * 1000 };
}

/** The message of one packet at `micros`. Replies travel from `to` back to `from`. */
function message(p: Packet, micros: number, uuid: string): DemoResponse {
  const src = p.reply ? p.to : p.from;
  const dst = p.reply ? p.from : p.to;
  const [srcPort, dstPort] = p.reply ? [p.dstPort, p.srcPort] : [p.srcPort, p.dstPort];
  const time = timestamp(micros);
  const l4 = p.protocol === 'UDP'
    ? { UDP: { source_port: srcPort, destination_port: dstPort } }
    : { TCP: { source_port: srcPort, destination_port: dstPort, flags: p.flags } };
  const flow: Record<string, unknown> = {
    time, uuid, emitter: EMITTER, verdict: p.verdict,
    IP: { source: src.ip, destination: dst.ip, ipVersion: 'IPv4' }, l4,
    source: endpoint(src, p.node), destination: endpoint(dst, p.node),
    Type: 'L3_L4', node_name: p.node, event_type: p.eventType, traffic_direction: p.direction,
    trace_reason: p.traceReason, is_reply: p.reply ? IS_REPLY : NOT_REPLY, Summary: summary(p.protocol, p.flags),
  };
  if (!isPod(src) && src.dnsName) flow['source_names'] = [src.dnsName];
  if (!isPod(dst) && dst.dnsName) flow['destination_names'] = [dst.dnsName];
  if (p.point !== undefined) flow['trace_observation_point'] = p.point;
  if (p.drop !== undefined) {
    flow['drop_reason'] = p.drop[0];
    flow['drop_reason_desc'] = p.drop[1];
  }
  if (p.eventType === POLICY_VERDICT) flow['policy_match_type'] = 2;
  for (const [field, policies] of Object.entries(p.correlation ?? {})) flow[field] = policies.map((x) => ({ ...x, labels: [...(x['labels'] as string[])] }));
  return { flow, node_name: p.node, time };
}

/** A stable 32-bit mix of the seed and the start time, for the uuid generator. */
function mix(seed: number, startMs: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  for (const part of [startMs % 4294967296, Math.floor(startMs / 4294967296)]) {
    h = Math.imul(h ^ part, 0x85ebca6b) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}

/**
 * The shop's traffic from `startMs` on, without end (see the module comment). Times never decrease. Each event
 * carries what it should be labeled, for tests and for nobody else: the collector judges by itself.
 */
export function* shopTraffic(options: ShopTrafficOptions): Generator<DemoEvent> {
  if (!(options.flowsPerSecond > 0) || !Number.isFinite(options.flowsPerSecond)) throw new RangeError('flowsPerSecond must be a positive number');
  const prng = new Prng(options.seed);
  const ids = new Prng(mix(options.seed, options.startMs));
  const meanGapMicros = 1_000_000 / options.flowsPerSecond;
  const driftEvery = (options.driftEveryMs ?? 5000) * 1000;
  let nextDrift = options.startMs * 1000 + (options.firstDriftAfterMs ?? 2000) * 1000;
  let drifts = 0;
  let start = options.startMs * 1000;
  let cursor = start;

  const pick = <T>(list: readonly T[]): T => prng.pick(list);
  const ephemeral = (): number => prng.int(32768, 60999);
  const steady = (): (typeof STEADY_SCENARIOS)[number] => {
    let r = prng.next();
    for (const name of STEADY_SCENARIOS) {
      r -= WEIGHTS[name];
      if (r < 0) return name;
    }
    return 'web';
  };

  for (;;) {
    let scenario: DemoScenario;
    const cycle = Math.floor(drifts / DRIFT_SCENARIOS.length);
    if (start >= nextDrift) {
      scenario = DRIFT_SCENARIOS[drifts % DRIFT_SCENARIOS.length] as DemoScenario;
      drifts += 1;
      nextDrift += driftEvery;
    } else {
      scenario = steady();
    }
    const packets = connection(scenario, pick, ephemeral, cycle);
    for (const packet of packets) {
      cursor = Math.max(cursor, start) + prng.int(40, 900);
      yield { timeMicros: cursor, response: message(packet, cursor, ids.uuid()), expected: { scenario, ...packet.expected } };
    }
    // The next connection starts after a gap worth as many messages as this one had, so the mean rate holds.
    start += Math.round(prng.next() * 2 * meanGapMicros * packets.length);
  }
}

/**
 * A TCP connection `from` → `to`:`port` that both sides' policies admit: the verdict at the client's egress, the
 * one at the server's ingress (a trace when no policy selects the server), the SYN-ACK, the established ACK.
 */
function allowedTcp(
  from: Peer, to: Peer, sport: number, port: number, egress: Packet['correlation'], ingress: Packet['correlation'] | undefined,
  label: FlowLabel = 'allowed', drift?: DriftKind,
): Packet[] {
  const fromNode = isPod(from) ? from.node : (to as DemoPod).node;
  const toNode = isPod(to) ? to.node : fromNode;
  const base = { from, to, protocol: 'TCP' as const, srcPort: sport, dstPort: port, verdict: 'FORWARDED' as const };
  const packets: Packet[] = [
    { ...base, node: fromNode, direction: 'EGRESS', eventType: POLICY_VERDICT, traceReason: 'NEW', reply: false, flags: SYN, correlation: egress, expected: CONNECTION(label, drift) },
  ];
  if (isPod(to)) {
    packets.push(
      ingress
        ? { ...base, node: toNode, direction: 'INGRESS', eventType: POLICY_VERDICT, traceReason: 'NEW', reply: false, flags: SYN, correlation: ingress, expected: CONNECTION(label, drift) }
        : { ...base, node: toNode, direction: 'INGRESS', eventType: TRACE_TO_ENDPOINT, point: 'TO_ENDPOINT', traceReason: 'NEW', reply: false, flags: SYN, expected: CONNECTION(label, drift) },
    );
  }
  packets.push({ ...base, node: fromNode, direction: 'EGRESS', eventType: TRACE_TO_ENDPOINT, point: 'TO_ENDPOINT', traceReason: 'REPLY', reply: true, flags: SYN_ACK, expected: REPLY });
  packets.push(
    isPod(to)
      ? { ...base, node: toNode, direction: 'INGRESS', eventType: TRACE_TO_ENDPOINT, point: 'TO_ENDPOINT', traceReason: 'ESTABLISHED', reply: false, flags: ACK, expected: ESTABLISHED }
      : { ...base, node: fromNode, direction: 'EGRESS', eventType: TRACE_TO_STACK, point: 'TO_STACK', traceReason: 'ESTABLISHED', reply: false, flags: ACK, expected: ESTABLISHED },
  );
  return packets;
}

/** A first packet dropped where it was observed (`at` is the side whose node saw it). */
function dropped(from: Peer, to: Peer, protocol: Protocol, sport: number, port: number, direction: Direction, drop: readonly [number, string], label: FlowLabel, correlation?: Packet['correlation']): Packet {
  const at = direction === 'EGRESS' ? from : to;
  const node = isPod(at) ? at.node : (isPod(from) ? from : (to as DemoPod)).node;
  const eventType = correlation ? POLICY_VERDICT : { type: 1, sub_type: drop[0] };
  return {
    from, to, protocol, srcPort: sport, dstPort: port, node, direction, verdict: 'DROPPED', eventType, traceReason: 'NEW', reply: false,
    ...(protocol === 'TCP' ? { flags: SYN } : {}), drop, ...(correlation ? { correlation } : {}),
    expected: CONNECTION(label, label === 'unexpected' ? 'unexpected-drop' : undefined),
  };
}

/** The packets of one connection; `cycle` counts the rounds of drift so far (which outside address drift goes to). */
function connection(scenario: DemoScenario, pick: <T>(list: readonly T[]) => T, ephemeral: () => number, cycle: number): Packet[] {
  const target = (n: number) => EXFILTRATION_TARGETS[n % EXFILTRATION_TARGETS.length] as DemoExternal;
  const frontend = pick(PODS.frontend);
  const backend = pick(PODS.backend);
  const database = PODS.database[0] as DemoPod;
  const sport = ephemeral();
  switch (scenario) {
    case 'web':
      return allowedTcp(frontend, backend, sport, PORTS.backendHttp, { egress_allowed_by: [POLICIES.frontendEgress] }, { ingress_allowed_by: [POLICIES.backendIngress] });
    case 'orders-db':
      return allowedTcp(backend, database, sport, PORTS.databasePostgres, { egress_allowed_by: [POLICIES.backendEgressDb] }, { ingress_allowed_by: [POLICIES.databaseIngress] });
    case 'dns': {
      const client = pick([...PODS.frontend, ...PODS.backend, database]);
      const server = pick(PODS.coredns);
      const base = { from: client, to: server, protocol: 'UDP' as const, srcPort: sport, dstPort: PORTS.dns, verdict: 'FORWARDED' as const };
      return [
        { ...base, node: client.node, direction: 'EGRESS', eventType: POLICY_VERDICT, traceReason: 'NEW', reply: false, correlation: { egress_allowed_by: [POLICIES.dns] }, expected: CONNECTION('allowed') },
        { ...base, node: server.node, direction: 'INGRESS', eventType: TRACE_TO_ENDPOINT, point: 'TO_ENDPOINT', traceReason: 'NEW', reply: false, expected: CONNECTION('allowed') },
        { ...base, node: client.node, direction: 'EGRESS', eventType: TRACE_TO_ENDPOINT, point: 'TO_ENDPOINT', traceReason: 'REPLY', reply: true, expected: REPLY },
      ];
    }
    case 'payments':
      return allowedTcp(backend, pick(PAYMENT_APIS), sport, 443, { egress_allowed_by: [POLICIES.backendInternet] }, undefined);
    case 'scan':
      return [dropped(pick(SCANNERS), frontend, 'TCP', sport, PORTS.frontendHttp, 'INGRESS', POLICY_DENIED, 'denied')];
    case 'database-egress':
      return [dropped(database, pick(PAYMENT_APIS), 'TCP', sport, 443, 'EGRESS', POLICY_DENIED, 'denied')];
    case 'metrics-probe':
      return [dropped(frontend, backend, 'TCP', sport, 9090, 'EGRESS', POLICY_DENIED, 'denied')];
    case 'conntrack-drop': {
      const [egress] = allowedTcp(backend, database, sport, PORTS.databasePostgres, { egress_allowed_by: [POLICIES.backendEgressDb] }, undefined);
      return [egress as Packet, dropped(backend, database, 'TCP', sport, PORTS.databasePostgres, 'INGRESS', CT_MAP_INSERTION_FAILED, 'allowed')];
    }
    case 'frontend-to-database':
      return allowedTcp(frontend, database, sport, PORTS.databasePostgres, { egress_allowed_by: [POLICIES.legacyDbAccess] }, { ingress_allowed_by: [POLICIES.legacyDbAccess] }, 'unexpected', 'unenforced-deny');
    case 'frontend-to-internet':
      return allowedTcp(frontend, target(2 * cycle), sport, 443, { egress_allowed_by: [POLICIES.telemetryEgress] }, undefined, 'unexpected', 'unenforced-deny');
    case 'database-to-internet':
      return allowedTcp(database, target(2 * cycle + 1), sport, 443, { egress_allowed_by: [POLICIES.telemetryEgress] }, undefined, 'unexpected', 'unenforced-deny');
    case 'backend-policy-drop': {
      const [egress] = allowedTcp(frontend, backend, sport, PORTS.backendHttp, { egress_allowed_by: [POLICIES.frontendEgress] }, undefined);
      return [egress as Packet, dropped(frontend, backend, 'TCP', sport, PORTS.backendHttp, 'INGRESS', POLICY_DENY, 'unexpected', { ingress_denied_by: [POLICIES.freezeBackend] })];
    }
  }
}
