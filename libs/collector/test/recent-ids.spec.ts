import { describe, expect, it } from 'vitest';
import { RecentIds } from '../src/pipeline/recent-ids.js';

describe('RecentIds', () => {
  it('reports repeats, and forgets the oldest ids beyond its capacity', () => {
    const recent = new RecentIds(3);
    expect(['a', 'b', 'a', 'c'].map((id) => recent.add(id))).toEqual([true, true, false, true]);
    expect(recent.add('d')).toBe(true); // evicts a
    expect(recent.size).toBe(3);
    expect(recent.add('b')).toBe(false);
    expect(recent.add('a')).toBe(true); // evicts b
    expect(recent.add('b')).toBe(true);
    expect(recent.size).toBe(3);
  });
});
