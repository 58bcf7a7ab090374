import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.js';
import { problemsOf } from './config-problems.js';

describe('LOG_FORMAT, METRICS_TOKEN, METRICS_LISTEN', () => {
  it('defaults to an automatic log format, public metrics and no metrics listener of its own', () => {
    const config = loadConfig({});
    expect(config.LOG_FORMAT).toBe('auto');
    expect(config.METRICS_TOKEN).toBeUndefined();
    expect(config.METRICS_LISTEN).toBeUndefined();
  });

  it('reads valid values', () => {
    const config = loadConfig({ LOG_FORMAT: 'json', METRICS_TOKEN: 'scrape-me-0123456789', METRICS_LISTEN: '0.0.0.0:9464' });
    expect(config).toMatchObject({ LOG_FORMAT: 'json', METRICS_TOKEN: 'scrape-me-0123456789', METRICS_LISTEN: '0.0.0.0:9464' });
  });

  it.each([
    ['LOG_FORMAT', 'pretty', 'LOG_FORMAT: must be one of auto, json, text (got "pretty")'],
    ['METRICS_TOKEN', 'short', 'METRICS_TOKEN: must be at least 16 characters (got "***")'],
    ['METRICS_TOKEN', 'has a space in the middle', 'METRICS_TOKEN: must be printable ASCII without spaces (it is sent in an HTTP header) (got "***")'],
    ['METRICS_TOKEN', `tok\u00e9n-0123456789abc`, 'METRICS_TOKEN: must be printable ASCII without spaces (it is sent in an HTTP header) (got "***")'],
    ['METRICS_TOKEN', 'x'.repeat(257), 'METRICS_TOKEN: must be at most 256 characters (got "***")'],
    ['METRICS_LISTEN', '9464', 'METRICS_LISTEN: must be host:port (got "9464")'],
  ])('rejects %s=%s with one line, never printing a token', (name, value, line) => {
    expect(problemsOf({ [name]: value })).toEqual([line]);
  });
});
