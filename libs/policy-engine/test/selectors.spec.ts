import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '@driftwatch/policy-engine';
import { matchSelector, SelectorTable } from '../src/compile/selectors.js';

const selector = (partial: Partial<LabelSelector>): LabelSelector => ({ matchLabels: {}, matchExpressions: [], ...partial });
const labels = (record: Record<string, string>) => new Map(Object.entries(record));

const CASES: readonly { name: string; selector: LabelSelector; matches: Record<string, string>[]; misses: Record<string, string>[] }[] = [
  { name: 'empty selector', selector: selector({}), matches: [{}, { app: 'web' }], misses: [] },
  {
    name: 'matchLabels needs every pair',
    selector: selector({ matchLabels: { app: 'web', tier: 'front' } }),
    matches: [{ app: 'web', tier: 'front', extra: 'x' }],
    misses: [{ app: 'web' }, { app: 'web', tier: 'back' }, {}],
  },
  {
    name: 'In needs the key with a listed value',
    selector: selector({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }),
    matches: [{ tier: 'front' }, { tier: 'back' }],
    misses: [{ tier: 'db' }, {}],
  },
  {
    name: 'NotIn matches a missing key or an unlisted value',
    selector: selector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }),
    matches: [{}, { tier: 'front' }],
    misses: [{ tier: 'db' }],
  },
  {
    name: 'Exists needs the key, whatever its value',
    selector: selector({ matchExpressions: [{ key: 'canary', operator: 'Exists', values: [] }] }),
    matches: [{ canary: '' }, { canary: 'yes' }],
    misses: [{}],
  },
  {
    name: 'DoesNotExist needs the key absent',
    selector: selector({ matchExpressions: [{ key: 'canary', operator: 'DoesNotExist', values: [] }] }),
    matches: [{}, { other: 'x' }],
    misses: [{ canary: '' }],
  },
  {
    name: 'matchLabels and matchExpressions are ANDed',
    selector: selector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }),
    matches: [{ app: 'web', env: 'prod' }, { app: 'web' }],
    misses: [{ app: 'web', env: 'dev' }, { env: 'prod' }],
  },
  {
    name: 'keys that look like Object.prototype members are ordinary labels',
    selector: selector({ matchLabels: { constructor: 'x' }, matchExpressions: [{ key: 'toString', operator: 'DoesNotExist', values: [] }] }),
    matches: [{ constructor: 'x' }],
    misses: [{}, { constructor: 'x', toString: 'y' }],
  },
];

describe('label selectors', () => {
  const table = new SelectorTable();
  describe.each(CASES)('$name', ({ selector: raw, matches, misses }) => {
    const compiled = table.intern(raw);
    it.each(matches.map((m) => [JSON.stringify(m), m]))('matches %s', (_, m) => expect(matchSelector(compiled, labels(m))).toBe(true));
    if (misses.length > 0) {
      it.each(misses.map((m) => [JSON.stringify(m), m]))('does not match %s', (_, m) => expect(matchSelector(compiled, labels(m))).toBe(false));
    }
  });

  it('keeps each distinct selector once, whatever the order of its parts', () => {
    const table = new SelectorTable();
    const a = table.intern(selector({ matchLabels: { a: '1', b: '2' }, matchExpressions: [{ key: 'x', operator: 'In', values: ['q', 'p'] }, { key: 'y', operator: 'Exists', values: [] }] }));
    const b = table.intern(selector({ matchLabels: { b: '2', a: '1' }, matchExpressions: [{ key: 'y', operator: 'Exists', values: [] }, { key: 'x', operator: 'In', values: ['p', 'q'] }] }));
    const c = table.intern(selector({ matchLabels: { a: '1' } }));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(table.size).toBe(2);
  });
});
