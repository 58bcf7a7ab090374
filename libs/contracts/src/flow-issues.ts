/**
 * Issue codes: the missing or cut facts a flow record carries (ARCHITECTURE.md §3: recorded, not guessed). The
 * normalizers, `classify` and the policy engine all report into one `issues` list, so they share one spelling.
 * The policy engine (which imports no workspace lib) keeps its own `IssueCode` union; a test in libs/flow proves
 * that every engine code is a member of {@link FlowIssueCode}.
 */
import { z } from 'zod';

/** Every issue code with what it means (the README's table is written from this). */
export const FLOW_ISSUE_MEANINGS = {
  // normalizers (libs/flow)
  pod_labels_unknown: 'a pod whose labels were not reported (or, in a decision, were needed and unknown: treated as none)',
  namespace_labels_unknown: "a pod's namespace labels were not reported; only kubernetes.io/metadata.name was assumed",
  endpoint_unknown: 'the source told nothing about this endpoint',
  direction_unknown: 'a connection whose direction could not be determined',
  reply_unknown: 'a forward event whose reply flag the source did not report',
  labels_truncated: 'a label set over the limits (count, key or value length) was cut',
  count_clamped: 'a counter beyond the stored range was clamped to its maximum',
  // classify (libs/flow)
  protocol_not_covered: 'a protocol NetworkPolicy does not cover (not TCP, UDP or SCTP): labeled by the observed verdict alone',
  port_unknown: 'the destination port was not reported',
  src_ip_unknown: 'the source was judged as an external peer without an address',
  dst_ip_unknown: 'the destination was judged as an external peer without an address',
  src_pod_as_external: 'a source pod without a namespace was judged as an external peer',
  dst_pod_as_external: 'a destination pod without a namespace was judged as an external peer',
  src_host_as_external: 'the source (a node host) was judged as an external peer',
  dst_host_as_external: 'the destination (a node host) was judged as an external peer',
  src_remote_node_as_external: 'the source (another node) was judged as an external peer',
  dst_remote_node_as_external: 'the destination (another node) was judged as an external peer',
  src_other_reserved_as_external: 'the source (a reserved identity) was judged as an external peer',
  dst_other_reserved_as_external: 'the destination (a reserved identity) was judged as an external peer',
  src_unknown_as_external: 'the source (unknown endpoint) was judged as an external peer',
  dst_unknown_as_external: 'the destination (unknown endpoint) was judged as an external peer',
  // policy engine decisions
  invalid_ip: 'an endpoint address that is not an IP address matched no ipBlock',
  invalid_port: 'a port outside 0-65535 matched only rules without ports',
  unsupported_protocol: 'a protocol other than TCP, UDP or SCTP matched only rules without ports',
  named_port_unresolved: 'a named port could not be resolved on the destination pod',
  pod_ip_unknown: 'a pod without an address was matched against an ipBlock',
} as const;

/** An issue code. */
export type FlowIssueCode = keyof typeof FLOW_ISSUE_MEANINGS;

/** Every issue code, sorted. */
export const FLOW_ISSUE_CODES = Object.freeze(Object.keys(FLOW_ISSUE_MEANINGS).sort()) as readonly FlowIssueCode[];

export const flowIssueCodeSchema = z.enum(FLOW_ISSUE_CODES as unknown as [FlowIssueCode, ...FlowIssueCode[]]);

/** True for a member of {@link FlowIssueCode}. */
export function isFlowIssueCode(value: string): value is FlowIssueCode {
  return Object.hasOwn(FLOW_ISSUE_MEANINGS, value);
}
