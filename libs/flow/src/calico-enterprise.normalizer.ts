/**
 * Calico Enterprise / Cloud flow-log lines (Felix `flows.log`, or the documents Linseed/Elasticsearch store)
 * → {@link Flow}. Endpoint types are `wep`/`hep`/`ns`/`net`, labels are nested (`{"labels": ["k=v"]}`),
 * IPs and ports may be null when aggregated, `dest_service_port` is a port *name*, and policies are strings
 * in random order. See shared/reference/calico-api.md §6.
 */
import { calicoAction, calicoDirection, calicoEndpoint, calicoProtocol, calicoText } from './calico-endpoint.js';
import { calicoDenyReason, enterprisePolicies, policiesKey } from './calico-policies.js';
import { FieldError, isRec, optInt, optNonEmptyStr, optPort, optRec, optStr, optStrList, toErrorResult, type Rec } from './field-reader.js';
import type { Flow, FlowCounters } from './flow.model.js';
import { collectIssues } from './flow-issues.js';
import { calicoOutcome, type CalicoNormalizeOptions } from './goldmane.normalizer.js';
import { errorResult, normalizeJsonText, type CalicoNormalizeResult } from './normalize-result.js';
import { stableHash64 } from './stable-hash.js';
import { storableFlow } from './storable.js';

function nestedLabels(value: unknown, sub: string): readonly string[] | undefined {
  if (Array.isArray(value)) return optStrList(value, 'record', sub);
  const rec = optRec(value, 'record', sub);
  return rec === undefined ? undefined : optStrList(rec['labels'], 'record', `${sub}.labels`);
}

function enterpriseFlowToFlow(r: Rec, options: CalicoNormalizeOptions | undefined): Flow {
  const P = 'record';
  const start = optInt(r['start_time'], P, 'start_time');
  if (start === undefined) throw new FieldError('missing_field', 'record.start_time', 'record.start_time is missing');
  const end = optInt(r['end_time'], P, 'end_time');
  const srcPort = optPort(r['source_port'], P, 'source_port');
  const dstPort = optPort(r['dest_port'], P, 'dest_port');
  const proto = optStr(r['proto'], P, 'proto');
  const actionText = optStr(r['action'], P, 'action');
  const reporter = optStr(r['reporter'], P, 'reporter');
  const policiesRec = optRec(r['policies'], P, 'policies');
  const enforced = policiesRec === undefined ? undefined
    : optStrList(policiesRec['enforced_policies'], P, 'policies.enforced_policies') ?? optStrList(policiesRec['all_policies'], P, 'policies.all_policies');
  const pending = policiesRec === undefined ? undefined : optStrList(policiesRec['pending_policies'], P, 'policies.pending_policies');
  const policies = enterprisePolicies(enforced, pending);
  const svcName = calicoText(optStr(r['dest_service_name'], P, 'dest_service_name'));
  const svcPortName = calicoText(optStr(r['dest_service_port'], P, 'dest_service_port'));
  const side = (prefix: 'source' | 'dest') => ({
    type: optStr(r[`${prefix}_type`], P, `${prefix}_type`),
    name: optStr(r[`${prefix}_name`], P, `${prefix}_name`),
    aggregatedName: optStr(r[`${prefix}_name_aggr`], P, `${prefix}_name_aggr`),
    namespace: optStr(r[`${prefix}_namespace`], P, `${prefix}_namespace`),
    labels: nestedLabels(r[`${prefix}_labels`], `${prefix}_labels`),
    ip: optNonEmptyStr(r[`${prefix}_ip`], P, `${prefix}_ip`),
  });
  const s = side('source');
  const d = side('dest');
  const src = calicoEndpoint({ ...s, service: undefined, dnsNames: undefined });
  const dst = calicoEndpoint({
    ...d,
    service: svcName === undefined ? undefined : {
      name: svcName,
      namespace: calicoText(optStr(r['dest_service_namespace'], P, 'dest_service_namespace')),
      port: optPort(r['dest_service_port_num'], P, 'dest_service_port_num'),
      portName: svcPortName === '*' ? undefined : svcPortName,
    },
    dnsNames: optStrList(r['dest_domains'], P, 'dest_domains'),
  });
  const started = optInt(r['num_flows_started'], P, 'num_flows_started');
  const counters: FlowCounters = {
    packetsIn: optInt(r['packets_in'], P, 'packets_in') ?? 0,
    packetsOut: optInt(r['packets_out'], P, 'packets_out') ?? 0,
    bytesIn: optInt(r['bytes_in'], P, 'bytes_in') ?? 0,
    bytesOut: optInt(r['bytes_out'], P, 'bytes_out') ?? 0,
    connectionsStarted: started ?? 0,
    connectionsCompleted: optInt(r['num_flows_completed'], P, 'num_flows_completed') ?? 0,
    connectionsLive: optInt(r['num_flows'], P, 'num_flows') ?? 0,
  };
  const action = calicoAction(actionText);
  const { verdict, event } = calicoOutcome(action, started);
  const direction = calicoDirection(reporter);
  const node = optNonEmptyStr(r['host'], P, 'host') ?? options?.node;
  const id = `c-${stableHash64(
    `e|${node}|${s.type}|${s.namespace}|${s.name}|${s.aggregatedName}|${s.ip}|${srcPort}|${d.type}|${d.namespace}|` +
    `${d.name}|${d.aggregatedName}|${d.ip}|${dstPort}|${proto}|${actionText}|${reporter}|${policiesKey(policies)}|${start}|${end}`,
  )}`;
  return {
    source: 'calico-enterprise',
    id,
    time: start * 1000,
    timeText: undefined,
    endTime: end === undefined ? undefined : end * 1000,
    cluster: optNonEmptyStr(r['cluster'], P, 'cluster') ?? options?.cluster,
    node,
    src,
    dst,
    protocol: calicoProtocol(proto),
    srcPort,
    dstPort,
    direction,
    verdict,
    dropReason: action === 'deny' ? calicoDenyReason(policies) : undefined,
    dropReasonCode: undefined,
    policyDrop: action === 'deny',
    isReply: false,
    event,
    count: started ?? 1,
    eventType: undefined,
    observationPoint: undefined,
    policies,
    issues: collectIssues(src, dst, event, direction, false),
    counters,
    raw: r,
  };
}

/**
 * Normalizes one parsed Enterprise flow-log record. Never throws: malformed input is an error result that
 * names the field. Unknown fields (tcp_*, process_*, @timestamp, ...) are ignored.
 */
export function normalizeCalicoEnterpriseRecord(input: unknown, options?: CalicoNormalizeOptions): CalicoNormalizeResult {
  if (!isRec(input)) return errorResult('not_an_object', 'a flow-log record must be a JSON object');
  try {
    return storableFlow(enterpriseFlowToFlow(input, options));
  } catch (error) {
    return toErrorResult(error);
  }
}

/** Parses and normalizes one line of a Calico Enterprise `flows.log`. Blank lines are skipped. */
export function normalizeCalicoEnterpriseLine(line: string, options?: CalicoNormalizeOptions): CalicoNormalizeResult {
  return normalizeJsonText(line, (value) => normalizeCalicoEnterpriseRecord(value, options));
}
