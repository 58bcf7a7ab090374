import { describe, expect, it } from 'vitest';
import {
  ALERT_EVENT_TYPES, COLLECTOR_EVENT_KINDS, DRIFT_KINDS, FLOW_ISSUE_CODES, FLOW_LABELS, MALFORMED_CODES, NORMALIZE_ERROR_CODES, OBSERVED_VERDICTS,
  SEVERITIES, collectorEventKindSchema, flowIssueCodeSchema, isFlowIssueCode, isMalformedCode, malformedCodeSchema,
} from '../src/index.js';

describe('closed vocabularies', () => {
  it.each([
    ['labels', FLOW_LABELS, ['allowed', 'denied', 'unexpected']],
    ['drift kinds', DRIFT_KINDS, ['unenforced-deny', 'unexpected-drop']],
    ['severities', SEVERITIES, ['medium', 'high', 'critical']],
    ['collector event kinds', COLLECTOR_EVENT_KINDS, ['connected', 'disconnected', 'lost_events', 'node_status', 'malformed', 'duplicates']],
    ['observed verdicts', OBSERVED_VERDICTS, ['forwarded', 'dropped', 'audit', 'redirected', 'traced', 'translated', 'error', 'unknown']],
    ['alert event types', ALERT_EVENT_TYPES, ['alert.opened', 'alert.updated', 'alert.acknowledged', 'alert.resolved', 'alert.reopened', 'alert.suppressed']],
  ])('%s are exactly the fixed ones', (_name, list, expected) => {
    expect([...list]).toEqual(expected);
  });

  it('issue and malformed codes are snake_case, one spelling each', () => {
    for (const code of [...FLOW_ISSUE_CODES, ...MALFORMED_CODES]) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
    expect(FLOW_ISSUE_CODES).not.toContain('labels_unknown');
    expect(MALFORMED_CODES).not.toContain('undecodable');
    expect(MALFORMED_CODES).toEqual(expect.arrayContaining([...NORMALIZE_ERROR_CODES, 'undecodable_message', 'unstorable']));
  });

  it('guards and zod enums accept members and refuse anything else', () => {
    expect(isFlowIssueCode('pod_labels_unknown')).toBe(true);
    expect(isFlowIssueCode('labels_unknown')).toBe(false);
    expect(isFlowIssueCode('constructor')).toBe(false);
    expect(isMalformedCode('unstorable')).toBe(true);
    expect(isMalformedCode('undecodable')).toBe(false);
    expect(flowIssueCodeSchema.safeParse('port_unknown').success).toBe(true);
    expect(malformedCodeSchema.safeParse('resend').success).toBe(false);
    expect(collectorEventKindSchema.safeParse('reconnect').success).toBe(false);
  });
});
