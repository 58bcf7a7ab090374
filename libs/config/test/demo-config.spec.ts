import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/index.js';
import { problemsOf } from './config-problems.js';

describe('DEMO and DEMO_RATE', () => {
  it('default to on at 50 flows/s', () => {
    expect(loadConfig({})).toMatchObject({ DEMO: 'on', DEMO_RATE: 50 });
  });

  it.each([
    [{ DEMO: 'off' }, { DEMO: 'off', DEMO_RATE: 50 }],
    [{ DEMO: ' on ', DEMO_RATE: '200' }, { DEMO: 'on', DEMO_RATE: 200 }],
    [{ DEMO: '', DEMO_RATE: '' }, { DEMO: 'on', DEMO_RATE: 50 }],
    [{ DEMO_RATE: '1' }, { DEMO_RATE: 1 }],
    [{ DEMO_RATE: '5000' }, { DEMO_RATE: 5000 }],
  ])('%j reads as %j', (env, expected) => {
    expect(loadConfig(env)).toMatchObject(expected);
  });

  it.each([
    ['DEMO', 'yes', 'DEMO: must be on or off (got "yes")'],
    ['DEMO', 'true', 'DEMO: must be on or off (got "true")'],
    ['DEMO', 'OFF', 'DEMO: must be on or off (got "OFF")'],
    ['DEMO_RATE', '0', 'DEMO_RATE: must be from 1 to 5000 (flows per second) (got "0")'],
    ['DEMO_RATE', '5001', 'DEMO_RATE: must be from 1 to 5000 (flows per second) (got "5001")'],
    ['DEMO_RATE', '2.5', 'DEMO_RATE: must be a whole number (got "2.5")'],
    ['DEMO_RATE', 'fast', 'DEMO_RATE: must be a number (got "fast")'],
  ])('rejects %s=%s with one line naming it', (name, value, line) => {
    expect(problemsOf({ [name]: value })).toEqual([line]);
  });
});
