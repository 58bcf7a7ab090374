import { randomBytes } from 'node:crypto';
import type { AlertCandidate, AlertStore, AlertSummary } from '@driftwatch/persistence';

/** Opens an alert between two namespaces through the lifecycle repository, as the detector would. */
export async function seedAlert(store: AlertStore, srcNamespace: string | null, dstNamespace: string | null, overrides: Partial<AlertCandidate> = {}): Promise<AlertSummary> {
  const now = new Date();
  const candidate: AlertCandidate = {
    connectionKey: `test|${srcNamespace}/a|${dstNamespace}/b|${randomBytes(6).toString('hex')}`,
    driftKind: 'unenforced-deny',
    severity: 'high',
    cluster: '',
    srcNamespace,
    srcWorkload: srcNamespace ? 'a' : null,
    srcIp: srcNamespace ? null : '203.0.113.9',
    dstNamespace,
    dstWorkload: dstNamespace ? 'b' : null,
    dstIp: dstNamespace ? null : '198.51.100.7',
    dstPort: 443,
    protocol: 'TCP',
    flowCount: 1,
    firstSeen: now,
    lastSeen: now,
    policyRevisionId: null,
    explanation: { text: 'denied: test' },
    sampleFlow: { id: `flow-${randomBytes(4).toString('hex')}`, time: now.toISOString(), body: {} },
    ...overrides,
  };
  const { outcomes } = await store.lifecycle.open([candidate]);
  return (outcomes[0] as { alert: AlertSummary }).alert;
}
