import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.js';
import { problemsOf } from './config-problems.js';

describe('HTTP_BODY_LIMIT', () => {
  it.each([
    [undefined, 1024 * 1024],
    ['1MiB', 1024 * 1024],
    ['1mb', 1024 * 1024],
    ['512KiB', 512 * 1024],
    ['2048', 2048],
    ['256MiB', 256 * 1024 * 1024],
  ])('%s reads as %i bytes', (value, bytes) => {
    expect(loadConfig(value === undefined ? {} : { HTTP_BODY_LIMIT: value }).HTTP_BODY_LIMIT).toBe(bytes);
  });

  it.each(['1023', '0', '257MiB', '1GiB', '1.5MiB', 'lots', '-1'])('refuses %s, naming the variable and the value', (value) => {
    expect(problemsOf({ HTTP_BODY_LIMIT: value })).toEqual([`HTTP_BODY_LIMIT: must be a size from 1KiB to 256MiB such as 512KiB, 1MiB or 1048576 (bytes) (got ${JSON.stringify(value)})`]);
  });
});

describe('CORS_ORIGINS', () => {
  it('is off (no origin) when unset', () => {
    expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
  });

  it('reads origins separated by commas, once each', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://dash.example.com, http://127.0.0.1:3000,https://dash.example.com' }).CORS_ORIGINS).toEqual([
      'https://dash.example.com',
      'http://127.0.0.1:3000',
    ]);
  });

  it.each([
    ['a path', 'https://dash.example.com/app', '"https://dash.example.com/app"'],
    ['a trailing slash', 'https://dash.example.com/', '"https://dash.example.com/"'],
    ['a wildcard', '*', '"*"'],
    ['another scheme', 'ftp://files.example.com', '"ftp://files.example.com"'],
    ['an empty member', 'https://a.example.com,,https://b.example.com', '""'],
  ])('refuses %s, naming each bad member', (_what, value, named) => {
    const [problem, ...rest] = problemsOf({ CORS_ORIGINS: value });
    expect(rest).toEqual([]);
    expect(problem).toContain(`CORS_ORIGINS: must be origins such as https://dash.example.com, separated by commas (not an origin: ${named})`);
  });
});

describe('RATE_LIMIT_PER_MINUTE', () => {
  it.each([
    [undefined, 600],
    ['0', 0],
    ['1200', 1200],
  ])('%s reads as %i', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { RATE_LIMIT_PER_MINUTE: value }).RATE_LIMIT_PER_MINUTE).toBe(expected);
  });

  it.each(['-1', '1.5', 'many', '1000001'])('refuses %s', (value) => {
    expect(problemsOf({ RATE_LIMIT_PER_MINUTE: value })).toEqual([expect.stringMatching(/^RATE_LIMIT_PER_MINUTE: must be /)]);
  });

  it('reports every bad HTTP variable at once', () => {
    expect(problemsOf({ RATE_LIMIT_PER_MINUTE: 'x', CORS_ORIGINS: '*', HTTP_BODY_LIMIT: 'big' }).map((p) => p.split(':')[0])).toEqual(
      expect.arrayContaining(['RATE_LIMIT_PER_MINUTE', 'CORS_ORIGINS', 'HTTP_BODY_LIMIT']),
    );
  });
});
