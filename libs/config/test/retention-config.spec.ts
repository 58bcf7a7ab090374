import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { problemsOf } from './config-problems.js';

describe('retention settings', () => {
  it('keeps flows 30 days and evidence 7 by default, and reads whole days', () => {
    expect(loadConfig({})).toMatchObject({ FLOW_RETENTION_DAYS: 30, EVIDENCE_RETENTION_DAYS: 7 });
    expect(loadConfig({ FLOW_RETENTION_DAYS: '90', EVIDENCE_RETENTION_DAYS: ' 1 ' })).toMatchObject({ FLOW_RETENTION_DAYS: 90, EVIDENCE_RETENTION_DAYS: 1 });
  });

  it.each([
    ['0', 'must be from 1 to 3650 (days)'],
    ['3651', 'must be from 1 to 3650 (days)'],
    ['1.5', 'must be a whole number of days'],
    ['30d', 'must be a number'],
  ])('refuses %s, naming both variables at once', (value, reason) => {
    expect(problemsOf({ FLOW_RETENTION_DAYS: value, EVIDENCE_RETENTION_DAYS: value })).toEqual([
      `FLOW_RETENTION_DAYS: ${reason} (got ${JSON.stringify(value)})`,
      `EVIDENCE_RETENTION_DAYS: ${reason} (got ${JSON.stringify(value)})`,
    ]);
  });
});
