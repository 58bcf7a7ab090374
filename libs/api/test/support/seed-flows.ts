/**
 * Stored traffic for the what-if and compliance tests: the examples/shop policies and capture (read from the
 * repository's examples/), judged as the pipeline judges them and written through the flow repositories (rows made
 * and written with `flow-records.ts`), one record per flow, with endpoint identities and rule attribution (the collector's own tests prove the pipeline
 * writes exactly these; this lib may not import the collector).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  FlowClassifier, judgedAsPod, normalizeHubbleJsonLine, recordedConnection, type Flow, type FlowEndpoint,
} from '@driftwatch/flow';
import {
  applyMigrations, dropDatabase, ensureDatabase, type FlowStore, withDatabase, type EndpointIdentityRow, type FlowRecordRow,
} from '@driftwatch/persistence';
import type { HalfDecision, ManifestSource, PolicySnapshot } from '@driftwatch/policy-engine';
import { flowRecord, insertRecords } from './flow-records.js';

const shopDir = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'shop');

/** The manifests of examples/shop/policies, in file order. */
export function shopSources(): ManifestSource[] {
  return readdirSync(join(shopDir, 'policies')).sort().map((name) => ({ name, text: readFileSync(join(shopDir, 'policies', name), 'utf8') }));
}

/** The 16 flows of examples/shop/flows.jsonl, normalized (all in the window 2026-03-02T10:00:00Z + 10 s). */
export function shopFlows(): Flow[] {
  return readFileSync(join(shopDir, 'flows.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '').map((line) => {
    const result = normalizeHubbleJsonLine(line);
    if (result.kind !== 'flow') throw new Error(`examples/shop/flows.jsonl: not a flow: ${line.slice(0, 60)}`);
    return result.flow;
  });
}

/** The capture's window. */
export const SHOP_WINDOW = Date.parse('2026-03-02T10:00:00Z');

/** A migrated database of one test file's own, so its revisions and records are the only ones there. */
export async function ownDatabase(serverUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `driftwatch_test_reports_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(serverUrl, name);
  const url = withDatabase(serverUrl, name);
  await applyMigrations(url);
  return { url, drop: () => dropDatabase(serverUrl, name) };
}

/** Records the manifests as a policy revision, activated (as `collect` does), and returns its number. */
export async function recordRevision(store: FlowStore, sources: readonly ManifestSource[], hash = randomBytes(8).toString('hex')): Promise<number> {
  const { id } = await store.revisions.record({
    sourceKind: 'directory', sourcePath: 'examples/shop/policies', gitCommit: null, contentHash: hash, documents: sources.map((s) => ({ ...s })),
    policyCount: 0, problems: [],
  });
  return id;
}

export interface SeedOptions {
  /** Added to every flow's time (ms). */
  readonly shiftMs?: number;
  /** Keep endpoint identities (default true); false writes records as older versions did. */
  readonly identities?: boolean;
  readonly revisionId: number | null;
}

/** `namespace/policy#ingress[0]`, as records name the rule that admitted a half. */
function ruleRef(half: HalfDecision): string[] {
  const match = half.allowedBy;
  return match === undefined ? [] : [`${match.policy.namespace}/${match.policy.name}#${half.direction}[${match.rule}]`];
}

/**
 * Classifies `flows` against `snapshot` and writes one record per labeled flow (window of 10 s), as the pipeline
 * would: identities of both sides (ids of this helper's own: any id works, records only point at them), and for
 * allowed records the rules of both halves. Returns the records written.
 */
export async function seedRecords(store: FlowStore, snapshot: PolicySnapshot, flows: readonly Flow[], options: SeedOptions): Promise<FlowRecordRow[]> {
  const classifier = new FlowClassifier(snapshot);
  const identities = new Map<string, EndpointIdentityRow>();
  const identity = (side: FlowEndpoint): string => {
    if (!judgedAsPod(side)) return '0';
    const key = JSON.stringify([side.namespace, side.labels ?? null, side.namespaceLabels ?? null]);
    let row = identities.get(key);
    if (row === undefined) {
      row = { id: String(randomBytes(6).readUIntBE(0, 6) + 1), namespace: side.namespace as string, labels: side.labels ?? null, namespaceLabels: side.namespaceLabels ?? null };
      identities.set(key, row);
    }
    return row.id;
  };
  const records: FlowRecordRow[] = [];
  for (const flow of flows) {
    const c = classifier.classify(flow);
    if (c.label === undefined) continue;
    const time = flow.time + (options.shiftMs ?? 0);
    const start = time - (time % 10_000);
    const keep = options.identities ?? true;
    records.push(flowRecord(new Date(start), {
      source: flow.source, ...recordedConnection(flow), event: flow.event,
      label: c.label, driftKind: c.drift ?? null, policyRevisionId: options.revisionId, flowCount: flow.count, firstSeen: new Date(time),
      lastSeen: new Date(time), sampleFlowId: flow.id, issues: c.issues,
      srcIdentity: keep ? identity(flow.src) : null, dstIdentity: keep ? identity(flow.dst) : null,
      allowedBy: c.label === 'allowed' ? (c.declared ? [...ruleRef(c.declared.egress), ...ruleRef(c.declared.ingress)].sort() : []) : null,
    }));
  }
  await insertRecords(store, records, [], [...identities.values()]);
  return records;
}
