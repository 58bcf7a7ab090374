import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHubbleNormalizer, type HubbleNormalizeResult } from '@driftwatch/flow';
import {
  createSyntheticCluster, encodeGetFlowsResponse, generateHubbleResponses, parseHubbleJsonLines, type GrpcGetFlowsResponse,
} from '@driftwatch/testing';
import { describe, expect, it } from 'vitest';
import { decodeGetFlowsResponse, loadHubbleApi } from '../src/index.js';

const fixtures = join(import.meta.dirname, '..', '..', 'flow', 'test', 'fixtures', 'hubble');
const protoLoaderDecode = loadHubbleApi().Observer.service['GetFlows']!.responseDeserialize as (b: Buffer) => unknown;

/** A normalized result without `raw` (the decoded object itself, which differs by design). */
function comparable(result: HubbleNormalizeResult): unknown {
  if (result.kind !== 'flow') return result;
  const { raw: _raw, ...flow } = result.flow;
  return { ...result, flow };
}

function samples(): GrpcGetFlowsResponse[] {
  const cluster = createSyntheticCluster({ seed: 3, namespaces: 4 });
  const synthetic = [...generateHubbleResponses(cluster, { seed: 3, count: 2000, lostEventsEvery: 250 })];
  const real = ['hubble-otel/basic-sample-400-tcp-flows.json', 'hubble-otel/basic-sample-5-dns-flows.json', 'hubble-otel/basic-sample-400-icmpv4-flows.json', 'cilium-docs/export-rst-exporter-output.jsonl', 'tke-guide/observability-md-cilium-1.19.1-exporter.jsonl']
    .flatMap((file) => parseHubbleJsonLines(readFileSync(join(fixtures, file), 'utf8')));
  return [...synthetic, ...real];
}

describe('the fast GetFlowsResponse decoder', () => {
  it('normalizes to exactly what the proto-loader objects normalize to, on synthetic and real flows', () => {
    const viaLoader = createHubbleNormalizer();
    const viaFast = createHubbleNormalizer();
    const messages = samples();
    const kinds = new Set<string>();
    for (const message of messages) {
      const bytes = encodeGetFlowsResponse(message);
      const expected = viaLoader.response(protoLoaderDecode(bytes));
      const actual = viaFast.response(decodeGetFlowsResponse(bytes));
      kinds.add(actual.kind);
      expect(comparable(actual)).toEqual(comparable(expected));
    }
    expect([...kinds].sort()).toEqual(['flow', 'lost_events']);
    expect(messages.length).toBeGreaterThan(2400);
  });

  it('keeps evidence bodies readable as JSON (enum names, 64-bit integers as strings)', () => {
    const [message] = samples().filter((m) => m.flow?.['verdict'] === 'DROPPED');
    const decoded = decodeGetFlowsResponse(encodeGetFlowsResponse(message!));
    const json = JSON.parse(JSON.stringify(decoded)) as { flow: { verdict: string; time: { seconds: string } } };
    expect(json.flow.verdict).toBe('DROPPED');
    expect(typeof json.flow.time.seconds).toBe('string');
  });

  it('decodes a reused identity number with other labels afresh, and the same labels to the same list', () => {
    const [base] = samples().filter((m) => (m.flow?.['source'] as { identity?: number } | undefined)?.identity);
    const flow = base!.flow as Record<string, unknown>;
    const source = flow['source'] as Record<string, unknown>;
    const variant = (labels: string[]) => ({ ...base!, flow: { ...flow, source: { ...source, identity: 424242, labels } } });
    const read = (labels: string[]) =>
      ((decodeGetFlowsResponse(encodeGetFlowsResponse(variant(labels))) as { flow: { source: { labels: readonly string[] } } }).flow.source.labels);
    const first = read(['k8s:app=a', 'k8s:io.kubernetes.pod.namespace=x']);
    const same = read(['k8s:app=a', 'k8s:io.kubernetes.pod.namespace=x']);
    const recycled = read(['k8s:app=b', 'k8s:io.kubernetes.pod.namespace=x']);
    expect(same).toBe(first);
    expect(recycled).toEqual(['k8s:app=b', 'k8s:io.kubernetes.pod.namespace=x']);
    expect(read(['k8s:app=a', 'k8s:io.kubernetes.pod.namespace=x', 'k8s:tier=web'])).toHaveLength(3);
  });

  it('throws on malformed bytes (the source counts them and goes on)', () => {
    expect(() => decodeGetFlowsResponse(Buffer.from([0x0a, 0xff, 0xff, 0x01]))).toThrow();
  });
});
