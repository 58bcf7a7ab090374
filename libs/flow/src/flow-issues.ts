/**
 * The missing facts a flow carries (ARCHITECTURE.md §3: recorded, not guessed). Shared by every normalizer
 * so each source reports the same codes for the same gaps.
 */
import type { FlowDirection, FlowEndpoint, FlowEventKind, FlowIssue } from './flow.model.js';

const NO_ISSUES: readonly FlowIssue[] = Object.freeze([]);

function endpointIssues(endpoint: FlowEndpoint, side: 'src' | 'dst', out: FlowIssue[] | undefined): FlowIssue[] | undefined {
  if (endpoint.kind === 'pod') {
    if (endpoint.labels === undefined) (out ??= []).push({ code: 'pod_labels_unknown', side });
    if (endpoint.namespaceLabels === undefined) (out ??= []).push({ code: 'namespace_labels_unknown', side });
    if (endpoint.labelsTruncated === true) (out ??= []).push({ code: 'labels_truncated', side });
  } else if (endpoint.kind === 'unknown') {
    (out ??= []).push({ code: 'endpoint_unknown', side });
  }
  return out;
}

/**
 * Issues of a flow: unknown labels / namespace labels / endpoints on either side; for connection events also
 * an unknown direction or reply flag. A shared empty list when there are none.
 */
export function collectIssues(
  src: FlowEndpoint, dst: FlowEndpoint, event: FlowEventKind, direction: FlowDirection, isReply: boolean | undefined,
): readonly FlowIssue[] {
  let out = endpointIssues(src, 'src', undefined);
  out = endpointIssues(dst, 'dst', out);
  if (event === 'connection') {
    if (direction === 'unknown') (out ??= []).push({ code: 'direction_unknown', side: undefined });
    if (isReply === undefined) (out ??= []).push({ code: 'reply_unknown', side: undefined });
  }
  return out ?? NO_ISSUES;
}
