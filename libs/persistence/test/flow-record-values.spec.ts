import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoMillis, toFlowRecord } from '../src/flows/flow-record-values.js';

describe('isoMillis', () => {
  it.each([0, 1, 7, 70, 999, 1000, 1_764_651_600_123, 253_402_300_799_999, 253_402_300_800_000, -1, 1.5e12 + 0.5, -62_198_755_200_000])(
    'writes %d as toISOString does',
    (ms) => expect(isoMillis(ms)).toBe(new Date(ms).toISOString()),
  );

  it('agrees with toISOString for any time, however the cache of seconds is hit (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e13, max: 2.6e14 }), { minLength: 1, maxLength: 50 }), (times) => {
        for (const ms of times) expect(isoMillis(ms)).toBe(new Date(ms).toISOString());
        // the same seconds again, now cached
        for (const ms of times) expect(isoMillis(ms)).toBe(new Date(ms).toISOString());
      }),
    );
  });
});

describe('toFlowRecord', () => {
  it('maps the values array PostgreSQL builds to the record of the contract', () => {
    const values = ['1764651600123456', '42', 1764651610000, 1764651601007, 1764651605070, 'hubble', 'c1', 'shop', 'web', null, null, null,
      '203.0.113.7', 443, 'TCP', 'egress', 'forwarded', null, 'connection', 'unexpected', 'unenforced-deny', 3, 9007199254740991, 'f-1', ['port_unknown']];
    expect(toFlowRecord(JSON.stringify(values))).toEqual({
      id: Buffer.from('1764651600123456:42').toString('base64url'), windowStart: '2025-12-02T05:00:00.123Z', windowEnd: '2025-12-02T05:00:10.000Z',
      source: 'hubble', cluster: 'c1', srcNamespace: 'shop', srcWorkload: 'web', srcIp: null, dstNamespace: null, dstWorkload: null,
      dstIp: '203.0.113.7', dstPort: 443, protocol: 'TCP', direction: 'egress', observed: 'forwarded', dropReason: null, event: 'connection',
      label: 'unexpected', driftKind: 'unenforced-deny', policyRevisionId: 3, flowCount: 9007199254740991, firstSeen: '2025-12-02T05:00:01.007Z',
      lastSeen: '2025-12-02T05:00:05.070Z', sampleFlowId: 'f-1', issues: ['port_unknown'],
    });
  });
});
