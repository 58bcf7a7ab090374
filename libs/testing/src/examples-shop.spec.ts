import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHubbleNormalizer, FlowClassifier, normalizeHubbleResponse } from '@driftwatch/flow';
import { compileRevision, loadManifests } from '@driftwatch/policy-engine';
import { describe, expect, it } from 'vitest';
import { parseHubbleJsonLines } from './hubble-messages.js';

const SHOP = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop');

/** The expectations of examples/shop/README.md, line by line: [event, label, drift]. */
const EXPECTED: ReadonlyArray<readonly [string, string | undefined, string | undefined]> = [
  ['connection', 'allowed', undefined],
  ['connection', 'allowed', undefined],
  ['reply', undefined, undefined],
  ['established', undefined, undefined],
  ['connection', 'allowed', undefined],
  ['connection', 'allowed', undefined],
  ['reply', undefined, undefined],
  ['connection', 'allowed', undefined],
  ['reply', undefined, undefined],
  ['connection', 'allowed', undefined],
  ['connection', 'allowed', undefined],
  ['connection', 'denied', undefined],
  ['connection', 'unexpected', 'unenforced-deny'],
  ['connection', 'unexpected', 'unenforced-deny'],
  ['connection', 'unexpected', 'unexpected-drop'],
  ['connection', 'denied', undefined],
];

describe('examples/shop', () => {
  const sources = readdirSync(join(SHOP, 'policies'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ name: f, text: readFileSync(join(SHOP, 'policies', f), 'utf8') }));
  const lines = readFileSync(join(SHOP, 'flows.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');

  it('policies load without problems', () => {
    const loaded = loadManifests(sources);
    expect(loaded.problems).toEqual([]);
    expect(loaded.policies.map((p) => p.name).sort()).toEqual([
      'allow-dns-egress', 'backend-egress-to-database', 'backend-egress-to-internet', 'backend-ingress-from-frontend',
      'database-ingress-from-backend', 'default-deny-all', 'frontend-egress-to-backend',
    ]);
  });

  it('flows come out labeled as the README says', () => {
    const classifier = new FlowClassifier(compileRevision(loadManifests(sources), { revision: 1 }));
    const normalizer = createHubbleNormalizer();
    const actual = lines.map((line) => {
      const result = normalizer.jsonLine(line);
      if (result.kind !== 'flow') throw new Error(JSON.stringify(result));
      const c = classifier.classify(result.flow);
      return [result.flow.event, c.label, c.drift];
    });
    expect(actual).toEqual(EXPECTED);
  });

  it('every line has a unique uuid and times increase', () => {
    const flows = lines.map((line) => JSON.parse(line) as { flow: { uuid: string; time: string } });
    expect(new Set(flows.map((f) => f.flow.uuid)).size).toBe(lines.length);
    expect(flows.map((f) => f.flow.time)).toEqual([...flows.map((f) => f.flow.time)].sort());
  });

  it('reads the same through the gRPC object form the fake relay serves', () => {
    const fromJson = lines.map((line) => normalizeHubbleResponse(JSON.parse(line)));
    const fromGrpc = parseHubbleJsonLines(lines.join('\n')).map((response) => normalizeHubbleResponse(response));
    const strip = (r: ReturnType<typeof normalizeHubbleResponse>) => (r.kind === 'flow' ? { ...r.flow, raw: 0, timeText: 0 } : r);
    expect(fromGrpc.map(strip)).toEqual(fromJson.map(strip));
  });
});
