import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { problemsOf } from '../test/config-problems.js';

describe('alert and access settings', () => {
  it('resolves alerts after 15 minutes of quiet by default and reads durations with a unit', () => {
    expect(loadConfig({}).ALERT_RESOLVE_AFTER).toBe(15 * 60_000);
    expect(loadConfig({ ALERT_RESOLVE_AFTER: '90s' }).ALERT_RESOLVE_AFTER).toBe(90_000);
    expect(loadConfig({ ALERT_RESOLVE_AFTER: '2h' }).ALERT_RESOLVE_AFTER).toBe(7_200_000);
    expect(loadConfig({ ALERT_RESOLVE_AFTER: '1500ms' }).ALERT_RESOLVE_AFTER).toBe(1500);
  });

  it.each(['15', 'soon', '500ms', '-1m'])('refuses ALERT_RESOLVE_AFTER=%s', (value) => {
    expect(problemsOf({ ALERT_RESOLVE_AFTER: value })).toEqual([
      `ALERT_RESOLVE_AFTER: must be a duration such as 90s, 15m or 2h (at least 1s) (got ${JSON.stringify(value)})`,
    ]);
  });

  it('takes an admin token of 32 characters or more, and never prints a short one back', () => {
    expect(loadConfig({ DRIFTWATCH_ADMIN_TOKEN: 'x'.repeat(32) }).DRIFTWATCH_ADMIN_TOKEN).toBe('x'.repeat(32));
    expect(problemsOf({ DRIFTWATCH_ADMIN_TOKEN: 'short-secret' })).toEqual(['DRIFTWATCH_ADMIN_TOKEN: must be at least 32 characters (got "***")']);
  });
});
