import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FlowClassifier, normalizeHubbleJsonLine, type Classification, type Flow } from '@driftwatch/flow';
import { loadDeclaredPolicies } from '@driftwatch/policy-source';
import type { PolicySnapshot } from '@driftwatch/policy-engine';

export const shopDir = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'shop');
const lines = readFileSync(join(shopDir, 'flows.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');

/** The shop example's declared policies, compiled. */
export async function shopSnapshot(dir = join(shopDir, 'policies')): Promise<PolicySnapshot> {
  return (await loadDeclaredPolicies(dir)).snapshot;
}

/**
 * Line `n` (1-based) of examples/shop/flows.jsonl as a new flow (fresh uuid), classified against `snapshot`.
 * Line 13 (and 14, its ingress side) is the unenforced deny frontend → database:5432; line 15 the unexpected drop
 * frontend → backend:8080. `cluster` makes the alert keys of a test its own.
 */
export function shopFlow(n: number, snapshot: PolicySnapshot, cluster: string): { flow: Flow; classification: Classification } {
  const parsed = JSON.parse(lines[n - 1] as string) as { flow: { uuid: string; node_name?: string } };
  parsed.flow.uuid = randomUUID();
  parsed.flow.node_name = `${cluster}/kind-worker`;
  const result = normalizeHubbleJsonLine(JSON.stringify(parsed));
  if (result.kind !== 'flow') throw new Error(`line ${n} is not a flow`);
  return { flow: result.flow, classification: new FlowClassifier(snapshot).classify(result.flow) };
}
