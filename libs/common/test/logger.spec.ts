import { describe, expect, it } from 'vitest';
import { createLogger, formatTextLine, LOG_LEVELS, resolveLogFormat, withLogContext, type LogLevelName } from '../src/index.js';

const at = () => new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6));

function jsonLogger(level: LogLevelName = 'verbose') {
  const lines: string[] = [];
  const logger = createLogger({ level, format: 'json', write: (l) => lines.push(l), now: at });
  return { logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), lines };
}

describe('the pino-backed logger', () => {
  it('writes one JSON object per line with time, level and message, escaping control characters', () => {
    const { logger, lines, records } = jsonLogger();
    logger.warn('pod \u001b[2J\nERROR forged');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(lines[0]?.slice(0, -1)).not.toContain('\n');
    expect(records()).toEqual([{ level: 'warn', time: '2026-01-02T03:04:05.006Z', msg: 'pod \\x1b[2J\\x0aERROR forged' }]);
  });

  it.each(LOG_LEVELS.map((threshold, index) => [threshold, LOG_LEVELS.slice(0, index + 1)] as const))(
    'at LOG_LEVEL=%s writes exactly the levels %j',
    (threshold, expected) => {
      const { logger, records } = jsonLogger(threshold);
      for (const level of LOG_LEVELS) logger.write(level, level);
      expect(records().map((r) => r['msg'])).toEqual(expected);
    },
  );

  it('names levels as pino does in JSON (log is info, verbose is trace)', () => {
    const { logger, records } = jsonLogger();
    for (const level of LOG_LEVELS) logger.write(level, 'x');
    expect(records().map((r) => r['level'])).toEqual(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);
  });

  it('adds the fields of a child, of the call and of the enclosing log context', async () => {
    const { logger, records } = jsonLogger();
    const child = logger.child({ component: 'collector' });
    await withLogContext({ reqId: 'r-1' }, async () => {
      await Promise.resolve();
      child.log('inside', { source: 'hubble:a:1' });
      withLogContext({ job: 'flush' }, () => logger.debug('nested'));
    });
    logger.log('outside');
    expect(records()).toEqual([
      expect.objectContaining({ msg: 'inside', component: 'collector', source: 'hubble:a:1', reqId: 'r-1' }),
      expect.objectContaining({ msg: 'nested', reqId: 'r-1', job: 'flush' }),
      { level: 'info', time: '2026-01-02T03:04:05.006Z', msg: 'outside' },
    ]);
  });

  it('writes readable text lines: time, level, [context], message, then fields and an indented stack', () => {
    const lines: string[] = [];
    const logger = createLogger({ format: 'text', write: (l) => lines.push(l), now: at });
    logger.log('listening', { context: 'HTTP', reqId: 'abc', path: '/a b' });
    logger.error('failed', { stack: 'Error: failed\n    at f (x.ts:1:2)\n    at \u001b[31mg' });
    expect(lines).toEqual([
      '2026-01-02T03:04:05.006Z LOG   [HTTP] listening reqId=abc path="/a b"\n',
      '2026-01-02T03:04:05.006Z ERROR failed\n    at f (x.ts:1:2)\n    at \\x1b[31mg\n',
    ]);
  });

  it('formats a line that is not JSON as escaped text rather than losing it', () => {
    expect(formatTextLine('not json \u0007\n')).toBe('not json \\x07\n');
  });
});

describe('resolveLogFormat', () => {
  it.each([
    ['auto', true, 'text'],
    ['auto', false, 'json'],
    ['auto', undefined, 'json'],
    ['json', true, 'json'],
    ['text', false, 'text'],
  ] as const)('%s with a terminal %s is %s', (setting, isTTY, expected) => {
    expect(resolveLogFormat(setting, { isTTY })).toBe(expected);
  });
});

describe('notices', () => {
  it('are written whatever the level: a bare line in text, an info line marked notice in JSON', () => {
    const text: string[] = [];
    createLogger({ level: 'fatal', format: 'text', write: (l) => text.push(l), now: at }).notice('database: x');
    expect(text).toEqual(['database: x\n']);
    const json: string[] = [];
    createLogger({ level: 'fatal', format: 'json', write: (l) => json.push(l), now: at }).notice('database: x', { url: 'u' });
    expect(json.map((l) => JSON.parse(l))).toEqual([{ level: 'info', time: '2026-01-02T03:04:05.006Z', notice: true, url: 'u', msg: 'database: x' }]);
  });
});
