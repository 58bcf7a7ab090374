import { describe, expect, it } from 'vitest';
import { Backoff, createLogger, printable } from '../src/index.js';

describe('printable', () => {
  it.each([
    ['plain text', 'frontend-7d9 → db:5432', 'frontend-7d9 → db:5432'],
    ['ESC sequences', '\u001b[2J\u001b[31mred', '\\x1b[2J\\x1b[31mred'],
    ['BEL and NUL', 'a\u0007b\u0000c', 'a\\x07b\\x00c'],
    ['CR and LF (a forged log line)', 'ok\r\nERROR fake', 'ok\\x0d\\x0aERROR fake'],
    ['C1 CSI', 'x\u009b31m', 'x\\x9b31m'],
    ['bidi override', 'abc\u202edef', 'abc\\u{202e}def'],
  ])('escapes %s', (_name, input, expected) => {
    expect(printable(input)).toBe(expected);
  });

  it('keeps newlines when asked', () => {
    expect(printable('a\nb\u001b', true)).toBe('a\nb\\x1b');
  });
});

describe('createLogger', () => {
  it('filters by level, stamps, and escapes', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (l) => lines.push(l), now: () => new Date(0) });
    logger.log('dropped');
    logger.debug('dropped');
    logger.warn('pod \u001b[2J');
    logger.error('bad');
    expect(lines).toEqual(['1970-01-01T00:00:00.000Z WARN  pod \\x1b[2J\n', '1970-01-01T00:00:00.000Z ERROR bad\n']);
  });

  it('writes bare lines without a stamp', () => {
    const lines: string[] = [];
    createLogger({ stamp: false, write: (l) => lines.push(l) }).log('x');
    expect(lines).toEqual(['x\n']);
  });
});

describe('Backoff', () => {
  it('doubles up to the cap, with at least half of each step', () => {
    const backoff = new Backoff(100, 1000);
    const delays = Array.from({ length: 6 }, () => backoff.next());
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    delays.forEach((d, i) => {
      expect(d).toBeGreaterThanOrEqual((ceilings[i] as number) / 2);
      expect(d).toBeLessThanOrEqual(ceilings[i] as number);
    });
    backoff.reset();
    expect(backoff.attempts).toBe(0);
  });
});
