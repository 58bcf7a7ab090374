import { describe, expect, it } from 'vitest';
import type { Actor } from '../src/auth/access.js';
import { FlowStatsTally, statsFor } from '../src/realtime/flow-stats.js';
import type { EffectiveFilter } from '../src/realtime/subscription.js';

const c = (allowed: number, denied = 0, unexpected = 0) => ({ allowed, denied, unexpected });
const actor = (namespaces: Actor['namespaces']): Actor => ({ prefix: 'dw_test', role: 'viewer', namespaces });
const filter = (namespaces: EffectiveFilter['namespaces']): EffectiveFilter => ({ namespaces, severities: '*', kinds: '*' });

describe('flows.stats for one client', () => {
  const tally = new FlowStatsTally();
  tally.add(new Map([['a', c(1, 2, 3)], ['b', c(5)]]));
  tally.add(new Map([['a', c(10)], ['z', c(7)]])); // a second collector process
  const tick = tally.take();

  it.each([
    ['a key for everything, no filter: every namespace with flows, sorted', actor('*'), [filter('*')], { a: c(11, 2, 3), b: c(5), z: c(7) }],
    ['a filter of a and of z: those two', actor('*'), [filter(['a']), filter(['z', 'q'])], { a: c(11, 2, 3), z: c(7) }],
    ['a key scoped to b, whatever the filter says: b only', actor(['b']), [filter(['a', 'b'])], { b: c(5) }],
    ['a key scoped to b with a wildcard filter (never made by subscribe): still b only', actor(['b']), [filter('*')], { b: c(5) }],
    ['subscribed namespaces without flows: nothing sent', actor('*'), [filter(['q'])], undefined],
    ['no subscription: nothing sent', actor('*'), [], undefined],
  ] as const)('%s', (_name, who, filters, want) => {
    const event = statsFor(who, filters, tick);
    if (want === undefined) return expect(event).toBeUndefined();
    expect(event?.namespaces.map((n) => n.namespace)).toEqual(Object.keys(want));
    expect(Object.fromEntries(event?.namespaces.map(({ namespace, ...counts }) => [namespace, counts]) ?? [])).toEqual(want);
    expect(event?.at).toBe(tick.at);
  });

  it('starts each interval from zero', () => {
    expect(tally.take().counts.size).toBe(0);
  });
});
