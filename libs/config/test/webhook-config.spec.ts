import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/index.js';

describe('WEBHOOK_ALLOW_PRIVATE_NETWORKS', () => {
  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
  ])('%s reads as %s', (value, expected) => {
    expect(loadConfig(value === undefined ? {} : { WEBHOOK_ALLOW_PRIVATE_NETWORKS: value }).WEBHOOK_ALLOW_PRIVATE_NETWORKS).toBe(expected);
  });

  it('is true or false, nothing else', () => {
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'yes' })).toThrow(ConfigError);
    expect(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'yes' })).toThrow(/WEBHOOK_ALLOW_PRIVATE_NETWORKS: must be true or false \(got "yes"\)/);
  });
});
