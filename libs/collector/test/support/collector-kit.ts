/**
 * Shared pieces of the collector's source tests: a policy snapshot per namespace, a pipeline writing into the
 * run's database, log and flow recorders that tests can await, and Goldmane flow messages built from a real
 * sample (libs/flow/test/fixtures/calico/goldmane-flow-protojson-longhorn.json) in the gRPC object form.
 */
import { readFileSync } from 'node:fs';
import { unusedPort } from '@driftwatch/testing';
import { join } from 'node:path';
import type { Logger } from '@driftwatch/common';
import type { Flow } from '@driftwatch/flow';
import { FlowStore, type FlowRecordRow } from '@driftwatch/persistence';
import { compileRevision, loadManifests, type PolicySnapshot } from '@driftwatch/policy-engine';
import { FlowPipeline, type FlowPipelineOptions } from '../../src/index.js';

/**
 * Namespace `ns`: default deny both ways; frontend → backend TCP 8080 allowed (egress of frontend, ingress of
 * backend). Anything else between pods of `ns` is declared deny.
 */
export function shopSnapshot(ns: string): PolicySnapshot {
  const manifests = `
apiVersion: v1
kind: Namespace
metadata: { name: ${ns} }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: default-deny, namespace: ${ns} }
spec: { podSelector: {}, policyTypes: [Ingress, Egress] }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: frontend-egress, namespace: ${ns} }
spec:
  podSelector: { matchLabels: { app: frontend } }
  policyTypes: [Egress]
  egress: [{ to: [{ podSelector: { matchLabels: { app: backend } } }], ports: [{ port: 8080 }] }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: backend-ingress, namespace: ${ns} }
spec:
  podSelector: { matchLabels: { app: backend } }
  ingress: [{ from: [{ podSelector: { matchLabels: { app: frontend } } }], ports: [{ port: 8080 }] }]
`;
  const loaded = loadManifests([{ name: `${ns}.yaml`, text: manifests }]);
  if (loaded.problems.length > 0) throw new Error(`test policies do not load: ${JSON.stringify(loaded.problems)}`);
  return compileRevision(loaded, { revision: 1 });
}

/** Items that arrive over time, with a way to await a condition on them (bounded by a deadline, not a sleep). */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters: (() => void)[] = [];

  push = (item: T): void => {
    this.items.push(item);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  };

  /** Resolves once `check(items)` holds; rejects after `timeoutMs` naming `what`. */
  async until(check: (items: readonly T[]) => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this.items)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.items.slice(-10))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once at least `n` items arrived. */
  count(n: number, what: string, timeoutMs?: number): Promise<void> {
    return this.until((items) => items.length >= n, `${n} ${what}`, timeoutMs);
  }
}

/** A Logger whose every line, whatever its level, goes to `recorder`. */
export function recorderLogger(recorder: Recorder<string>): Logger {
  return { error: recorder.push, warn: recorder.push, log: recorder.push, debug: recorder.push };
}

/** A pipeline over the run's database with its log lines and classified flows recorded. */
export interface TestPipeline {
  readonly pipeline: FlowPipeline;
  readonly store: FlowStore;
  readonly logs: Recorder<string>;
  readonly flows: Recorder<Flow>;
  /** Drains the pipeline and returns the stored records whose source namespace is `ns`. */
  records(ns: string): Promise<FlowRecordRow[]>;
  close(): Promise<void>;
}

/** Opens a store on `databaseUrl` and a pipeline classifying against {@link shopSnapshot}(ns), one record per flow. */
export async function openTestPipeline(databaseUrl: string, ns: string, options: FlowPipelineOptions = {}): Promise<TestPipeline> {
  const store = await FlowStore.open(databaseUrl);
  const logs = new Recorder<string>();
  const flows = new Recorder<Flow>();
  const pipeline = new FlowPipeline({ snapshot: shopSnapshot(ns), id: null }, { store, windowMs: 0, logger: recorderLogger(logs), onFlow: flows.push, ...options });
  return {
    pipeline,
    store,
    logs,
    flows,
    async records(namespace) {
      await pipeline.drainAll();
      return (await store.flowRecords.list(1_000_000)).filter((r) => r.srcNamespace === namespace);
    },
    async close() {
      await pipeline.close();
      await store.close();
    },
  };
}

/** A loopback port nothing listens on (bound once, then released). */
export const closedPort = unusedPort;

const SAMPLE = join(import.meta.dirname, '..', '..', '..', 'flow', 'test', 'fixtures', 'calico', 'goldmane-flow-protojson-longhorn.json');

/** protojson lowerCamel → proto field names, as proto-loader with `keepCase` decodes them (`Key` stays). */
function toProtoNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toProtoNames);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key === 'Key' ? key : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), toProtoNames(inner)]),
  );
}

/** One Goldmane `Flow` in the gRPC object form. */
export interface GoldmaneFlowSpec {
  readonly ns: string;
  /** Bucket start, Unix seconds. */
  readonly start: number;
  readonly src?: string;
  readonly dst?: string;
  readonly port?: number;
  readonly action?: 'Allow' | 'Deny';
  readonly reporter?: 'Src' | 'Dst';
}

/**
 * The real longhorn sample, moved into namespace `ns` between `app=<src>` and `app=<dst>` pods, for the 15 s
 * bucket starting at `start`. Its policy trace stays the sample's (a Calico NetworkPolicy).
 */
export function goldmaneFlow(spec: GoldmaneFlowSpec): Record<string, unknown> {
  const sample = toProtoNames(JSON.parse(readFileSync(SAMPLE, 'utf8'))) as Record<string, unknown>;
  const key = sample['Key'] as Record<string, unknown>;
  const src = spec.src ?? 'frontend';
  const dst = spec.dst ?? 'backend';
  return {
    ...sample,
    Key: {
      ...key,
      source_name: `${src}-7c9d5f-*`,
      source_namespace: spec.ns,
      dest_name: `${dst}-5f7c9d-*`,
      dest_namespace: spec.ns,
      dest_port: String(spec.port ?? 8080),
      action: spec.action ?? 'Allow',
      reporter: spec.reporter ?? 'Src',
    },
    start_time: String(spec.start),
    end_time: String(spec.start + 15),
    source_labels: [`app=${src}`],
    dest_labels: [`app=${dst}`],
  };
}

/**
 * The start of a 15 s bucket in hour `slot` of 2020-01-01 (UTC), Unix seconds. The collector tests use fixed
 * times long before any other suite's data, one hour per test, so that time-filtered queries of other tests
 * sharing the run's database never count these flows.
 */
export function bucketStart(slot: number): number {
  return Date.UTC(2020, 0, 1) / 1000 + slot * 3600;
}

/** Proto wire helpers for hand-made frames: a varint, and a length-delimited field. */
export function varint(value: number): Buffer {
  const bytes: number[] = [];
  let v = value;
  while (v > 0x7f) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Buffer.from(bytes);
}

/** `field` as a length-delimited (wire type 2) field holding `body`. */
export function lengthDelimited(field: number, body: Buffer): Buffer {
  return Buffer.concat([varint((field << 3) | 2), varint(body.length), body]);
}

/** Field `field` as a varint (wire type 0): used to add fields the receiver does not know. */
export function varintField(field: number, value: number): Buffer {
  return Buffer.concat([varint(field << 3), varint(value)]);
}

/** A frame that cannot be decoded: field 1 claims 16 bytes, one follows. */
export const TRUNCATED_FRAME = Buffer.from([0x0a, 0x10, 0x00]);
