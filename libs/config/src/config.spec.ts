import { describe, expect, it } from 'vitest';
import { loadConfig, redactUrl } from './config.js';
import { problemsOf } from '../test/config-problems.js';

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8080,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'log',
      DATABASE_NAME: 'driftwatch',
      DATABASE_PROBE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres',
      EMBEDDED_POSTGRES_DIR: '.data/postgres',
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads and coerces set variables, treating blank ones as unset', () => {
    const config = loadConfig({ PORT: '9090', DATABASE_URL: 'postgres://u:p@db:5432/x', LOG_LEVEL: ' debug ', HOST: '' });
    expect(config.PORT).toBe(9090);
    expect(config.DATABASE_URL).toBe('postgres://u:p@db:5432/x');
    expect(config.LOG_LEVEL).toBe('debug');
    expect(config.HOST).toBe('127.0.0.1');
  });

  it.each([
    ['PORT', 'abc', 'PORT: must be a number (got "abc")'],
    ['PORT', '70000', 'PORT: must be from 0 to 65535 (0 = any free port) (got "70000")'],
    ['PORT', '80.5', 'PORT: must be a whole number (got "80.5")'],
    ['DATABASE_URL', 'mysql://x/y', 'DATABASE_URL: must be a postgres:// or postgresql:// URL with a host (got "mysql://x/y")'],
    ['DATABASE_URL', 'not a url', 'DATABASE_URL: must be a postgres:// or postgresql:// URL with a host (got "not a url")'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL: must be one of fatal, error, warn, log, debug, verbose (got "loud")'],
    ['DATABASE_NAME', 'Drift-Watch', 'DATABASE_NAME: must be a lower-case Postgres identifier (got "Drift-Watch")'],
  ])('rejects %s=%s with one line naming the variable', (name, value, line) => {
    expect(problemsOf({ [name]: value })).toEqual([line]);
  });

  it('rejects a TLS certificate without its key, which would otherwise mean plaintext', () => {
    expect(problemsOf({ SOURCE_SERVER_TLS_CERT: '/etc/tls/tls.crt', FLOW_SOURCE_TLS_KEY: '/etc/tls/client.key' })).toEqual([
      'FLOW_SOURCE_TLS_KEY: needs FLOW_SOURCE_TLS_CERT as well (got "/etc/tls/client.key")',
      'SOURCE_SERVER_TLS_CERT: needs SOURCE_SERVER_TLS_KEY as well (got "/etc/tls/tls.crt")',
    ]);
    expect(problemsOf({ SOURCE_SERVER_TLS_CERT: 'a.crt', SOURCE_SERVER_TLS_KEY: 'a.key', SOURCE_SERVER_TLS_CLIENT_CA: 'ca.crt' })).toEqual([]);
  });

  it('lists every bad variable at once, one line each', () => {
    const problems = problemsOf({ PORT: '-1', DATABASE_URL: 'http://x', LOG_LEVEL: 'x' });
    expect(problems).toHaveLength(3);
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
  });

  it('never prints a password from a URL', () => {
    const [line] = problemsOf({ DATABASE_URL: 'mysql://admin:s3cret@db/x' });
    expect(line).toContain('admin:***@');
    expect(line).not.toContain('s3cret');
  });
});

describe('redactUrl', () => {
  it.each([
    ['postgres://user:a/b:Secret@host/db', 'postgres://user:***@host/db'],
    ['postgres://u:p@ss@db:5432/x?sslmode=require', 'postgres://u:***@db:5432/x?sslmode=require'],
    ['postgresql://postgres@127.0.0.1:5432/postgres', 'postgresql://postgres@127.0.0.1:5432/postgres'],
    ['postgres://db/x', 'postgres://db/x'],
    ['postgres://a/b@h', 'postgres://***:***@h'],
  ])('hides the whole password of %s', (url, shown) => {
    expect(redactUrl(url)).toBe(shown);
  });

  it('never prints a password holding "/" in a configuration error', () => {
    const [line] = problemsOf({ DATABASE_URL: 'postgres://user:a/b:Secret@host/db' });
    expect(line).toBe('DATABASE_URL: must be a postgres:// or postgresql:// URL with a host (got "postgres://user:***@host/db")');
  });
});
