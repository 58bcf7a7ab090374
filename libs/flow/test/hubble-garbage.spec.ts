import { describe, expect, it } from 'vitest';
import { normalizeHubbleJsonLine, normalizeHubbleResponse } from '../src/index.js';
import { fixtureLines } from './fixture-files.js';

const GOOD = '{"flow":{"time":"2026-01-01T00:00:00Z","verdict":"FORWARDED","l4":{"TCP":{"destination_port":80}}},"node_name":"n"}';

describe('garbage in, error results out (never a throw)', () => {
  it.each([
    ['not JSON', '{"flow":', 'invalid_json', undefined],
    ['a number', '42', 'not_an_object', undefined],
    ['an array', '[{"flow":{}}]', 'not_an_object', undefined],
    ['null', 'null', 'not_an_object', undefined],
    ['flow is a string', '{"flow":"x"}', 'not_an_object', 'flow'],
    ['no time anywhere', '{"flow":{"verdict":"FORWARDED"}}', 'missing_field', 'flow.time'],
    ['time is not RFC 3339', '{"flow":{"time":"yesterday"}}', 'invalid_field', 'flow.time'],
    ['time has a bad month', '{"flow":{"time":"2026-13-01T00:00:00Z"}}', 'invalid_field', 'flow.time'],
    ['time is an object with text seconds', '{"flow":{"time":{"seconds":"soon"}}}', 'invalid_field', 'flow.time'],
    ['verdict is an object', '{"flow":{"time":"2026-01-01T00:00:00Z","verdict":{}}}', 'invalid_field', 'flow.verdict'],
    ['port is a boolean', '{"flow":{"time":"2026-01-01T00:00:00Z","l4":{"TCP":{"destination_port":true}}}}', 'invalid_field', 'flow.l4.TCP.destination_port'],
    ['port out of range', '{"flow":{"time":"2026-01-01T00:00:00Z","l4":{"UDP":{"source_port":70000}}}}', 'invalid_field', 'flow.l4.UDP.source_port'],
    ['labels is a string', '{"flow":{"time":"2026-01-01T00:00:00Z","source":{"labels":"k8s:app=a"}}}', 'invalid_field', 'flow.source.labels'],
    ['a label is a number', '{"flow":{"time":"2026-01-01T00:00:00Z","destination":{"labels":["k8s:app=a",7]}}}', 'invalid_field', 'flow.destination.labels[1]'],
    ['identity is fractional', '{"flow":{"time":"2026-01-01T00:00:00Z","source":{"identity":1.5}}}', 'invalid_field', 'flow.source.identity'],
    ['is_reply is a string', '{"flow":{"time":"2026-01-01T00:00:00Z","is_reply":"yes"}}', 'invalid_field', 'flow.is_reply'],
    ['IP is an array', '{"flow":{"time":"2026-01-01T00:00:00Z","IP":[]}}', 'invalid_field', 'flow.IP'],
    ['policies are not objects', '{"flow":{"time":"2026-01-01T00:00:00Z","egress_allowed_by":["p"]}}', 'invalid_field', 'flow.egress_allowed_by[0]'],
    ['lost_events count is text', '{"lost_events":{"num_events_lost":"many"}}', 'invalid_field', 'lost_events.num_events_lost'],
    ['node_status names are not strings', '{"node_status":{"node_names":[1]}}', 'invalid_field', 'node_status.node_names[0]'],
  ])('%s → %s', (_name, line, code, path) => {
    const result = normalizeHubbleJsonLine(line);
    expect(result.ok).toBe(false);
    if (result.kind !== 'error') return;
    expect(result.error.code).toBe(code);
    expect(result.error.path).toBe(path);
    expect(result.error.message.length).toBeGreaterThan(5);
  });

  it('never throws on odd values passed straight in', () => {
    for (const input of [undefined, 0, 'text', Symbol('x'), () => 1, new Date(), { flow: { time: 1n } }]) {
      expect(() => normalizeHubbleResponse(input)).not.toThrow();
      expect(['error', 'skip']).toContain(normalizeHubbleResponse(input).kind);
    }
  });

  it('survives every truncation of a real line', () => {
    const line = fixtureLines('hubble/tke-guide/observability-md-cilium-1.19.1-exporter.jsonl')[0] ?? '';
    for (let i = 0; i < line.length; i += 7) {
      const result = normalizeHubbleJsonLine(line.slice(0, i));
      expect(['error', 'skip']).toContain(result.kind);
    }
  });
});

describe('what is not a flow is skipped', () => {
  it.each([
    ['a blank line', '   '],
    ['an empty object', '{}'],
    ['an unknown response type only', '{"future_event":{"x":1},"node_name":"n","time":"2026-01-01T00:00:00Z"}'],
    ['an exporter agent event', '{"agent_event":{"type":"AGENT_STARTED"},"node_name":"n"}'],
  ])('%s', (_name, line) => {
    expect(normalizeHubbleJsonLine(line)).toMatchObject({ ok: true, kind: 'skip' });
  });
});

describe('unknown fields are ignored', () => {
  it('at every level', () => {
    const plain = normalizeHubbleJsonLine(GOOD);
    const withExtras = normalizeHubbleJsonLine(
      '{"flow":{"time":"2026-01-01T00:00:00Z","verdict":"FORWARDED","l4":{"TCP":{"destination_port":80,"future":1}},' +
        '"future_field":{"nested":[1,2]},"source":{"future":"x"},"emitter":{"name":"Hubble"}},"node_name":"n","extra":true}',
    );
    expect(plain.kind).toBe('flow');
    expect(withExtras.kind).toBe('flow');
    if (plain.kind !== 'flow' || withExtras.kind !== 'flow') return;
    expect({ ...withExtras.flow, raw: 0, id: 0, src: 0 }).toEqual({ ...plain.flow, raw: 0, id: 0, src: 0 });
  });

  it('a proto-decoded oneof virtual key and unknown enum numbers', () => {
    const result = normalizeHubbleResponse({
      flow: { time: { seconds: '1', nanos: 0 }, verdict: 12, traffic_direction: 9, l4: { protocol: 'TCP', TCP: { destination_port: 1 } } },
      response_types: 'flow',
    });
    expect(result).toMatchObject({ kind: 'flow', flow: { verdict: 'unknown', direction: 'unknown', event: 'no-verdict', dstPort: 1 } });
  });
});
