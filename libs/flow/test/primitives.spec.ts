import { describe, expect, it } from 'vitest';
import { inferWorkload, parseRfc3339 } from '../src/index.js';

describe('parseRfc3339', () => {
  it.each([
    ['2021-11-10T10:41:26.095336300Z', Date.UTC(2021, 10, 10, 10, 41, 26, 95)],
    ['2021-11-10T10:41:26Z', Date.UTC(2021, 10, 10, 10, 41, 26)],
    ['2021-11-10T10:41:26.1Z', Date.UTC(2021, 10, 10, 10, 41, 26, 100)],
    ['2021-11-10T10:41:26.09Z', Date.UTC(2021, 10, 10, 10, 41, 26, 90)],
    ['2021-11-10T12:41:26.5+02:00', Date.UTC(2021, 10, 10, 10, 41, 26, 500)],
    ['2021-11-10t10:41:26z', Date.UTC(2021, 10, 10, 10, 41, 26)],
    ['2021-11-10T10:41:26.0953363001234Z', Date.UTC(2021, 10, 10, 10, 41, 26, 95)],
  ])('%s', (text, ms) => {
    expect(parseRfc3339(text)).toBe(ms);
  });

  it.each(['', 'now', '2021-11-10', '2021-11-10T10:41:26', '2021-11-10T10:41:26.Z', '2021-11-10T25:00:00Z', '2021-11-10T10:41:26Zjunk'])(
    'rejects %j',
    (text) => {
      expect(parseRfc3339(text)).toBeUndefined();
    },
  );
});

describe('inferWorkload', () => {
  it.each([
    ['frontend-7d4d858f75-j76f7', { name: 'frontend', kind: 'Deployment', inferred: true }],
    ['checkoutservice-598d5b586d-*', { name: 'checkoutservice', kind: 'Deployment', inferred: true }],
    ['node-local-dns-88zrp', { name: 'node-local-dns', kind: undefined, inferred: true }],
    ['longhorn-manager-*', { name: 'longhorn-manager', kind: undefined, inferred: true }],
    ['xwing', undefined],
    ['db-0', undefined],
    ['instance-manager-318f1eac2bc7c775b7a6d2e68e9e2800', undefined],
  ])('%s', (pod, workload) => {
    expect(inferWorkload(pod)).toEqual(workload);
  });
});
