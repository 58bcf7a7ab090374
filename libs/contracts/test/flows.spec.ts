import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectionsQuery, decodeFlowRecordId, encodeFlowRecordId, flowListQuery, flowTimeRange } from '../src/index.js';

describe('flow record ids and cursors', () => {
  it('decode what they encode: base64url of <window start µs>:<id>, no padding', () => {
    const id = encodeFlowRecordId({ windowStartMicros: '1764651600123456', id: '42' });
    expect(id).toBe(Buffer.from('1764651600123456:42').toString('base64url'));
    expect(decodeFlowRecordId(id)).toEqual({ windowStartMicros: '1764651600123456', id: '42' });
  });

  it('round-trip any position in range (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 253_402_300_799_999_999n }), fc.bigInt({ min: 1n, max: 9_223_372_036_854_775_807n }), (micros, id) => {
        const position = { windowStartMicros: String(micros), id: String(id) };
        expect(encodeFlowRecordId(position)).toBe(Buffer.from(`${micros}:${id}`, 'latin1').toString('base64url'));
        expect(decodeFlowRecordId(encodeFlowRecordId(position))).toEqual(position);
      }),
    );
  });

  it('refuse anything else without throwing (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (text) => {
        const position = decodeFlowRecordId(text);
        if (position !== undefined) expect(encodeFlowRecordId(position)).toBe(text);
      }),
    );
    for (const text of ['', 'MTox=', Buffer.from('1:0').toString('base64url'), Buffer.from('-1:2').toString('base64url'), Buffer.from('1:2:3').toString('base64url')]) {
      expect(decodeFlowRecordId(text)).toBeUndefined();
    }
  });
});

describe('flow query schemas', () => {
  it.each([
    ['10.0.0.1', { kind: 'ip', ip: '10.0.0.1' }],
    ['fd00::1', { kind: 'ip', ip: 'fd00::1' }],
    ['10.0.0.0/8', { kind: 'cidr', cidr: '10.0.0.0/8' }],
    ['shop', { kind: 'namespace', namespace: 'shop' }],
    ['shop/web-1', { kind: 'workload', namespace: 'shop', workload: 'web-1' }],
  ])('reads the endpoint %s', (text, expected) => {
    expect(flowListQuery.parse({ src: text }).src).toEqual(expected);
  });

  it('defaults the limit and leaves the range to flowTimeRange: the hour before now', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    expect(flowListQuery.parse({}).limit).toBe(100);
    expect(connectionsQuery.parse({}).limit).toBe(500);
    expect(flowTimeRange({}, now)).toEqual({ from: new Date('2026-03-01T11:00:00Z'), to: now });
    expect(flowTimeRange({ to: new Date('2026-01-01T00:00:00Z') }, now)).toEqual({ from: new Date('2025-12-31T23:00:00Z'), to: new Date('2026-01-01T00:00:00Z') });
    expect(flowTimeRange({ from: new Date('2026-04-01T00:00:00Z') }, now)).toEqual({ from: new Date('2026-04-01T00:00:00Z'), to: new Date('2026-04-01T01:00:00Z') });
    const latest = new Date('9999-12-31T23:59:59.999Z');
    expect(flowTimeRange({ from: latest }, now).to).toEqual(latest);
  });
});
