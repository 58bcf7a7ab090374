import { describe, expect, it } from 'vitest';
import { csvCell } from '../src/http/csv.js';

describe('csvCell', () => {
  it.each([
    [null, ''],
    [42, '42'],
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=1+1', "'=1+1"],
    ['-x', "'-x"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['=a,b', `"'=a,b"`],
    ['\tx', "'\tx"],
    [['a', 'b'], 'a;b'],
  ])('writes %j as %j', (value, cell) => expect(csvCell(value)).toBe(cell));
});
