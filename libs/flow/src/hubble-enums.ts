/**
 * Hubble enum numbers and names (cilium `api/v1/flow/flow.proto` and `relay/relay.proto`, v1.19), for JSON
 * input that writes enums as numbers. See shared/reference/hubble-api.md §3, §6, §8.
 */

function table(entries: ReadonlyArray<readonly [number, string]>): ReadonlyMap<number, string> {
  return new Map(entries);
}

export const VERDICT_NAMES = table([
  [1, 'FORWARDED'], [2, 'DROPPED'], [3, 'ERROR'], [4, 'AUDIT'], [5, 'REDIRECTED'], [6, 'TRACED'], [7, 'TRANSLATED'],
]);

export const TRAFFIC_DIRECTION_NAMES = table([[1, 'INGRESS'], [2, 'EGRESS']]);

export const FLOW_TYPE_NAMES = table([[1, 'L3_L4'], [2, 'L7'], [3, 'SOCK']]);

export const TRACE_OBSERVATION_POINT_NAMES = table([
  [1, 'TO_PROXY'], [2, 'TO_HOST'], [3, 'TO_STACK'], [4, 'TO_OVERLAY'], [101, 'TO_ENDPOINT'], [5, 'FROM_ENDPOINT'],
  [6, 'FROM_PROXY'], [7, 'FROM_HOST'], [8, 'FROM_STACK'], [9, 'FROM_OVERLAY'], [10, 'FROM_NETWORK'],
  [11, 'TO_NETWORK'], [12, 'FROM_CRYPTO'], [13, 'TO_CRYPTO'],
]);

/**
 * Trace event sub types (monitor observation points), used when a flow has `event_type` but no
 * `trace_observation_point`. Sub type 0 is to-endpoint, unlike the Flow enum where TO_ENDPOINT is 101.
 */
export const TRACE_SUB_TYPE_POINTS: readonly string[] = [
  'TO_ENDPOINT', 'TO_PROXY', 'TO_HOST', 'TO_STACK', 'TO_OVERLAY', 'FROM_ENDPOINT', 'FROM_PROXY', 'FROM_HOST',
  'FROM_STACK', 'FROM_OVERLAY', 'FROM_NETWORK', 'TO_NETWORK', 'FROM_CRYPTO', 'TO_CRYPTO',
];

export const TRACE_REASON_NAMES = table([
  [1, 'NEW'], [2, 'ESTABLISHED'], [3, 'REPLY'], [4, 'RELATED'], [5, 'REOPENED'], [6, 'SRV6_ENCAP'],
  [7, 'SRV6_DECAP'], [8, 'ENCRYPT_OVERLAY'],
]);

export const NODE_STATE_NAMES = table([[1, 'NODE_CONNECTED'], [2, 'NODE_UNAVAILABLE'], [3, 'NODE_GONE'], [4, 'NODE_ERROR']]);

export const LOST_EVENT_SOURCE_NAMES = table([
  [1, 'PERF_EVENT_RING_BUFFER'], [2, 'OBSERVER_EVENTS_QUEUE'], [3, 'HUBBLE_RING_BUFFER'],
]);

/** Drop reasons 130–205 (159 unused). New numbers keep arriving: unknown ones pass through as numbers. */
export const DROP_REASON_NAMES = table([
  [130, 'INVALID_SOURCE_MAC'], [131, 'INVALID_DESTINATION_MAC'], [132, 'INVALID_SOURCE_IP'], [133, 'POLICY_DENIED'],
  [134, 'INVALID_PACKET_DROPPED'], [135, 'CT_TRUNCATED_OR_INVALID_HEADER'], [136, 'CT_MISSING_TCP_ACK_FLAG'],
  [137, 'CT_UNKNOWN_L4_PROTOCOL'], [138, 'CT_CANNOT_CREATE_ENTRY_FROM_PACKET'], [139, 'UNSUPPORTED_L3_PROTOCOL'],
  [140, 'MISSED_TAIL_CALL'], [141, 'ERROR_WRITING_TO_PACKET'], [142, 'UNKNOWN_L4_PROTOCOL'],
  [143, 'UNKNOWN_ICMPV4_CODE'], [144, 'UNKNOWN_ICMPV4_TYPE'], [145, 'UNKNOWN_ICMPV6_CODE'],
  [146, 'UNKNOWN_ICMPV6_TYPE'], [147, 'ERROR_RETRIEVING_TUNNEL_KEY'], [148, 'ERROR_RETRIEVING_TUNNEL_OPTIONS'],
  [149, 'INVALID_GENEVE_OPTION'], [150, 'UNKNOWN_L3_TARGET_ADDRESS'], [151, 'STALE_OR_UNROUTABLE_IP'],
  [152, 'NO_MATCHING_LOCAL_CONTAINER_FOUND'], [153, 'ERROR_WHILE_CORRECTING_L3_CHECKSUM'],
  [154, 'ERROR_WHILE_CORRECTING_L4_CHECKSUM'], [155, 'CT_MAP_INSERTION_FAILED'],
  [156, 'INVALID_IPV6_EXTENSION_HEADER'], [157, 'IP_FRAGMENTATION_NOT_SUPPORTED'],
  [158, 'SERVICE_BACKEND_NOT_FOUND'], [160, 'NO_TUNNEL_OR_ENCAPSULATION_ENDPOINT'],
  [161, 'FAILED_TO_INSERT_INTO_PROXYMAP'], [162, 'REACHED_EDT_RATE_LIMITING_DROP_HORIZON'],
  [163, 'UNKNOWN_CONNECTION_TRACKING_STATE'], [164, 'LOCAL_HOST_IS_UNREACHABLE'],
  [165, 'NO_CONFIGURATION_AVAILABLE_TO_PERFORM_POLICY_DECISION'], [166, 'UNSUPPORTED_L2_PROTOCOL'],
  [167, 'NO_MAPPING_FOR_NAT_MASQUERADE'], [168, 'UNSUPPORTED_PROTOCOL_FOR_NAT_MASQUERADE'],
  [169, 'FIB_LOOKUP_FAILED'], [170, 'ENCAPSULATION_TRAFFIC_IS_PROHIBITED'], [171, 'INVALID_IDENTITY'],
  [172, 'UNKNOWN_SENDER'], [173, 'NAT_NOT_NEEDED'], [174, 'IS_A_CLUSTERIP'],
  [175, 'FIRST_LOGICAL_DATAGRAM_FRAGMENT_NOT_FOUND'], [176, 'FORBIDDEN_ICMPV6_MESSAGE'],
  [177, 'DENIED_BY_LB_SRC_RANGE_CHECK'], [178, 'SOCKET_LOOKUP_FAILED'], [179, 'SOCKET_ASSIGN_FAILED'],
  [180, 'PROXY_REDIRECTION_NOT_SUPPORTED_FOR_PROTOCOL'], [181, 'POLICY_DENY'], [182, 'VLAN_FILTERED'],
  [183, 'INVALID_VNI'], [184, 'INVALID_TC_BUFFER'], [185, 'NO_SID'], [186, 'MISSING_SRV6_STATE'], [187, 'NAT46'],
  [188, 'NAT64'], [189, 'AUTH_REQUIRED'], [190, 'CT_NO_MAP_FOUND'], [191, 'SNAT_NO_MAP_FOUND'],
  [192, 'INVALID_CLUSTER_ID'], [193, 'UNSUPPORTED_PROTOCOL_FOR_DSR_ENCAP'], [194, 'NO_EGRESS_GATEWAY'],
  [195, 'UNENCRYPTED_TRAFFIC'], [196, 'TTL_EXCEEDED'], [197, 'NO_NODE_ID'], [198, 'DROP_RATE_LIMITED'],
  [199, 'IGMP_HANDLED'], [200, 'IGMP_SUBSCRIBED'], [201, 'MULTICAST_HANDLED'], [202, 'DROP_HOST_NOT_READY'],
  [203, 'DROP_EP_NOT_READY'], [204, 'DROP_NO_EGRESS_IP'], [205, 'DROP_PUNT_PROXY'],
]);

/** Drop reason name → number. */
export const DROP_REASON_CODES: ReadonlyMap<string, number> = new Map(
  [...DROP_REASON_NAMES].map(([code, name]) => [name, code] as const),
);

/**
 * Drop reasons that are policy decisions: POLICY_DENIED (no allow rule matched), POLICY_DENY (an explicit
 * deny rule) and AUTH_REQUIRED (the policy requires mutual authentication that has not happened yet).
 * DENIED_BY_LB_SRC_RANGE_CHECK is a LoadBalancer setting, not a NetworkPolicy, so it is not one.
 */
export const POLICY_DROP_CODES: ReadonlySet<number> = new Set([133, 181, 189]);

const POLICY_DROP_REASONS: ReadonlySet<string> = new Set(
  [...POLICY_DROP_CODES].flatMap((code) => [String(code), DROP_REASON_NAMES.get(code) as string]),
);

/**
 * Whether a stored drop reason (a flow's `dropReason`: the Hubble name, or the number when it has none; Calico
 * denials are written as POLICY_DENIED or POLICY_DENY) is a policy decision: for the dropped connection events
 * every normalizer makes, exactly `Flow.policyDrop`. Lets a stored record be judged again without its raw flow.
 */
export function isPolicyDropReason(dropReason: string | null | undefined): boolean {
  return dropReason !== null && dropReason !== undefined && POLICY_DROP_REASONS.has(dropReason);
}

/** Monitor message types (`event_type.type`). */
export const EVENT_TYPE = {
  drop: 1,
  debug: 2,
  capture: 3,
  trace: 4,
  policyVerdict: 5,
  traceSock: 7,
  accessLog: 129,
  agent: 130,
} as const;
