import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { problemsOf } from '../test/config-problems.js';

describe('push server protection settings', () => {
  it('reads SOURCE_SERVER_TOKEN and SOURCE_SERVER_ALLOW_PLAINTEXT (default false)', () => {
    expect(loadConfig({})).toMatchObject({ SOURCE_SERVER_ALLOW_PLAINTEXT: false });
    expect(loadConfig({ SOURCE_SERVER_TOKEN: 'a-long-enough-token', SOURCE_SERVER_ALLOW_PLAINTEXT: 'true' })).toMatchObject({
      SOURCE_SERVER_TOKEN: 'a-long-enough-token',
      SOURCE_SERVER_ALLOW_PLAINTEXT: true,
    });
  });

  it.each([
    [{ SOURCE_SERVER_TOKEN: 'short-secret' }, 'SOURCE_SERVER_TOKEN: must be at least 16 characters (got "***")'],
    [{ SOURCE_SERVER_ALLOW_PLAINTEXT: 'yes' }, 'SOURCE_SERVER_ALLOW_PLAINTEXT: must be true or false (got "yes")'],
  ])('reports a bad value in one line, never printing a token: %j', (env, problem) => {
    expect(problemsOf(env)).toEqual([problem]);
  });
});
