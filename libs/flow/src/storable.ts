/**
 * The last step of every normalizer: a flow is either storable as it is (every string without NUL and within
 * {@link MAX_NAME_BYTES}, every address an IP, its times inside [1970, 9999], its counts inside bigint) or the
 * message is malformed with a code naming why. Counts beyond the stored range are clamped, with `count_clamped`.
 * Cheap on the hot path: a handful of length checks and `indexOf` per flow, no allocation for a good flow.
 */
import type { NormalizeErrorCode } from '@driftwatch/contracts';
import type { Flow, FlowCounters, FlowEndpoint, FlowIssue, ReportedPolicy } from './flow.model.js';
import { MAX_COUNTER, MAX_FLOW_COUNT, MAX_NAME_BYTES, MAX_TIME_MS, MIN_TIME_MS } from './flow-limits.js';
import { isIpAddress } from './ip-address.js';
import { errorResult, type ErrorResult, type FlowResult } from './normalize-result.js';

/** A problem found by {@link textProblem} and friends, before it becomes an error result. */
interface Problem {
  readonly code: NormalizeErrorCode;
  readonly path: string;
  readonly message: string;
}

/**
 * Why a text cannot be stored as a name (NUL, too long), or undefined when it can. The field's path is given as
 * (`path`, `sub`) and joined only for a problem, so a good flow allocates nothing here.
 */
export function textProblem(value: string | undefined, path: string, sub?: string): Problem | undefined {
  if (value === undefined) return undefined;
  if (value.indexOf('\u0000') >= 0) {
    const at = sub === undefined ? path : `${path}.${sub}`;
    return { code: 'nul_in_string', path: at, message: `${at} holds a NUL byte` };
  }
  if (value.length > MAX_NAME_BYTES / 3 && Buffer.byteLength(value, 'utf8') > MAX_NAME_BYTES) {
    const at = sub === undefined ? path : `${path}.${sub}`;
    return { code: 'string_too_long', path: at, message: `${at} is longer than ${MAX_NAME_BYTES} bytes (${Buffer.byteLength(value, 'utf8')})` };
  }
  return undefined;
}

function textsProblem(values: readonly string[] | undefined, path: string, sub: string): Problem | undefined {
  if (values === undefined) return undefined;
  for (let i = 0; i < values.length; i++) {
    const problem = textProblem(values[i], path, sub);
    if (problem) return { ...problem, path: `${problem.path}[${i}]` };
  }
  return undefined;
}

/** Why an epoch-ms time cannot be stored, or undefined. */
export function timeProblem(ms: number | undefined, path: string): Problem | undefined {
  if (ms === undefined || (ms >= MIN_TIME_MS && ms <= MAX_TIME_MS)) return undefined;
  return { code: 'time_out_of_range', path, message: `${path} is outside 1970-01-01 to 9999-12-31 (${ms} ms)` };
}

function endpointProblem(e: FlowEndpoint, path: string): Problem | undefined {
  if (e.ip !== undefined && !isIpAddress(e.ip)) {
    const problem = textProblem(e.ip, path, 'ip');
    return problem ?? { code: 'invalid_ip', path: `${path}.ip`, message: `${path}.ip is not an IP address: ${JSON.stringify(e.ip.slice(0, 40))}` };
  }
  return (
    textProblem(e.namespace, path, 'namespace') ??
    textProblem(e.podName, path, 'pod_name') ??
    textProblem(e.workload?.name, path, 'workload.name') ??
    textProblem(e.workload?.kind, path, 'workload.kind') ??
    textProblem(e.cidr, path, 'cidr') ??
    textProblem(e.cluster, path, 'cluster') ??
    textProblem(e.reportedName, path, 'name') ??
    textProblem(e.service?.name, path, 'service.name') ??
    textProblem(e.service?.namespace, path, 'service.namespace') ??
    textProblem(e.service?.portName, path, 'service.port_name') ??
    textsProblem(e.reserved, path, 'reserved') ??
    textsProblem(e.dnsNames, path, 'names')
  );
}

function policyProblem(policies: readonly ReportedPolicy[]): Problem | undefined {
  for (let i = 0; i < policies.length; i++) {
    const p = policies[i] as ReportedPolicy;
    const path = 'policies';
    const problem =
      textProblem(p.name, path, 'name') ?? textProblem(p.namespace, path, 'namespace') ?? textProblem(p.kind, path, 'kind') ??
      textProblem(p.tier, path, 'tier') ?? textProblem(p.revision, path, 'revision') ?? textsProblem(p.labels, path, 'labels') ??
      textProblem(p.trigger?.name, path, 'trigger.name') ?? textProblem(p.trigger?.namespace, path, 'trigger.namespace');
    if (problem) return { ...problem, path: problem.path.replace('policies', `policies[${i}]`) };
  }
  return undefined;
}

function flowProblem(flow: Flow): Problem | undefined {
  if (flow.id === '') return { code: 'missing_field', path: 'id', message: 'the flow id is empty' };
  return (
    textProblem(flow.id, 'id') ??
    timeProblem(flow.time, 'time') ??
    timeProblem(flow.endTime, 'end_time') ??
    textProblem(flow.timeText, 'time') ??
    textProblem(flow.cluster, 'cluster') ??
    textProblem(flow.node, 'node_name') ??
    textProblem(flow.protocol, 'protocol') ??
    textProblem(flow.dropReason, 'drop_reason') ??
    textProblem(flow.observationPoint, 'trace_observation_point') ??
    endpointProblem(flow.src, 'source') ??
    endpointProblem(flow.dst, 'destination') ??
    policyProblem(flow.policies)
  );
}

const clampCounter = (n: number) => (n > MAX_COUNTER ? MAX_COUNTER : n);

function countersOverflow(c: FlowCounters | undefined): boolean {
  return c !== undefined && (c.packetsIn > MAX_COUNTER || c.packetsOut > MAX_COUNTER || c.bytesIn > MAX_COUNTER ||
    c.bytesOut > MAX_COUNTER || c.connectionsStarted > MAX_COUNTER || c.connectionsCompleted > MAX_COUNTER || c.connectionsLive > MAX_COUNTER);
}

function countersNegative(c: FlowCounters | undefined): boolean {
  return c !== undefined && (c.packetsIn < 0 || c.packetsOut < 0 || c.bytesIn < 0 || c.bytesOut < 0 || c.connectionsStarted < 0 ||
    c.connectionsCompleted < 0 || c.connectionsLive < 0);
}

/**
 * A flow result when `flow` can be stored, possibly with its counts clamped (and `count_clamped` among its issues);
 * otherwise a malformed-message error naming the field and why (`nul_in_string`, `string_too_long`, `invalid_ip`,
 * `time_out_of_range`, `invalid_field` for a negative count). Never throws.
 */
export function storableFlow(flow: Flow): FlowResult | ErrorResult {
  const problem = flowProblem(flow);
  if (problem) return errorResult(problem.code, problem.message, problem.path);
  if (flow.count < 0 || countersNegative(flow.counters)) return errorResult('invalid_field', 'a count is negative', 'count');
  if (flow.count > MAX_FLOW_COUNT || countersOverflow(flow.counters)) {
    const c = flow.counters;
    const issues: FlowIssue[] = [...flow.issues, { code: 'count_clamped', side: undefined }];
    flow = {
      ...flow,
      count: Math.min(flow.count, MAX_FLOW_COUNT),
      counters: c && {
        packetsIn: clampCounter(c.packetsIn), packetsOut: clampCounter(c.packetsOut), bytesIn: clampCounter(c.bytesIn),
        bytesOut: clampCounter(c.bytesOut), connectionsStarted: clampCounter(c.connectionsStarted),
        connectionsCompleted: clampCounter(c.connectionsCompleted), connectionsLive: clampCounter(c.connectionsLive),
      },
      issues,
    };
  }
  return { ok: true, kind: 'flow', flow };
}
