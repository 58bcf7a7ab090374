import { describe, expect, it } from 'vitest';
import { explainDecision, renderExplanation } from '@driftwatch/policy-engine';
import { db, external, internet, np, pod, prom, snapshotOf, web } from './support/world.js';

const ledger = pod('payments', 'ledger', { app: 'ledger' });
const prometheus = pod('monitoring', 'prometheus', { app: 'prometheus' });

describe('renderExplanation', () => {
  it('says which policy isolates the destination and that none of its rules admits the source', () => {
    const snapshot = snapshotOf([np('payments', 'default-deny', { podSelector: {}, policyTypes: ['Ingress'] })]);
    expect(renderExplanation(snapshot.evaluate(prometheus, ledger, 9100, 'TCP'))).toBe(
      'denied: payments/ledger is isolated for ingress by payments/default-deny, and no ingress rule of payments/default-deny admits monitoring/prometheus on TCP 9100',
    );
  });

  it('names every isolating policy, and only the halves that deny', () => {
    const snapshot = snapshotOf([
      np('payments', 'default-deny', { podSelector: {}, policyTypes: ['Ingress'] }),
      np('payments', 'ledger', { podSelector: { matchLabels: { app: 'ledger' } }, ingress: [{ ports: [{ port: 443 }] }] }),
      np('monitoring', 'egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] }),
    ]);
    expect(renderExplanation(snapshot.evaluate(prometheus, ledger, 9100, 'TCP'))).toBe(
      'denied: monitoring/prometheus is isolated for egress by monitoring/egress, and no egress rule of monitoring/egress admits payments/ledger on TCP 9100; ' +
        'payments/ledger is isolated for ingress by payments/default-deny and payments/ledger, and no ingress rule of payments/default-deny or payments/ledger admits monitoring/prometheus on TCP 9100',
    );
  });

  it('explains an allowed connection half by half', () => {
    const snapshot = snapshotOf([np('shop', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.9.0.0/16' } }, { namespaceSelector: {} }], ports: [{ port: 5432 }] }] })]);
    expect(renderExplanation(snapshot.evaluate(prom, db, 5432, 'TCP'))).toBe(
      'allowed: egress from ops/prom is not isolated (no policy selects it for egress); ingress to shop/db is admitted by shop/db spec.ingress[0] (from[1], ports[0])',
    );
    expect(renderExplanation(snapshot.evaluate(external('10.9.1.1'), db, 5432, 'TCP'))).toBe(
      'allowed: egress from 10.9.1.1 is not subject to NetworkPolicy (external peer); ingress to shop/db is admitted by shop/db spec.ingress[0] (from[0], ports[0])',
    );
  });

  it('says "any" for rules without peers or ports, and names a pod known only by labels', () => {
    const snapshot = snapshotOf([np('shop', 'open', { podSelector: {}, policyTypes: ['Egress'], egress: [{}] })]);
    const unnamed = { kind: 'pod' as const, namespace: 'shop', labels: { tier: 'front', app: 'web' } };
    expect(renderExplanation(snapshot.evaluate(unnamed, web, 80, 'TCP'))).toBe(
      'allowed: egress from shop/{app=web,tier=front} is admitted by shop/open spec.egress[0] (any destination, any port); ingress to shop/web is not isolated (no policy selects it for ingress)',
    );
  });

  it('adds the missing facts the decision depended on', () => {
    const snapshot = snapshotOf([np('shop', 'db', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }] }] })]);
    const text = renderExplanation(snapshot.evaluate({ kind: 'pod', namespace: 'ops', name: 'x', labels: {} }, db, 80, 'TCP'));
    expect(text).toMatch(/^denied: shop\/db is isolated for ingress by shop\/db, .* \(caution: namespace_labels_unknown: the labels of a namespace were unknown/);
  });

  it('renders a detailed form with both halves and the revision', () => {
    const snapshot = snapshotOf([np('payments', 'default-deny', { podSelector: {}, policyTypes: ['Ingress'] })], { revision: 12 });
    expect(renderExplanation(snapshot.evaluate(prometheus, ledger, 9100, 'TCP'), 'detailed')).toBe(
      [
        'deny: monitoring/prometheus -> payments/ledger TCP 9100 (revision 12)',
        '  egress  allow: egress from monitoring/prometheus is not isolated (no policy selects it for egress)',
        '  ingress deny: payments/ledger is isolated for ingress by payments/default-deny, and no ingress rule of payments/default-deny admits monitoring/prometheus on TCP 9100',
      ].join('\n'),
    );
  });

  it('is backed by a structured, JSON-friendly explanation', () => {
    const snapshot = snapshotOf([
      np('shop', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: {} }, { namespaceSelector: {} }], ports: [{ port: 80 }, { port: 5432 }] }] }),
    ]);
    const explanation = explainDecision(snapshot.evaluate({ kind: 'pod', namespace: 'ops', name: 'prom', labels: {} }, db, 5432, 'TCP'));
    expect(JSON.parse(JSON.stringify(explanation))).toEqual({
      verdict: 'allow',
      text: expect.stringMatching(/^allowed: .*\(caution: namespace_labels_unknown: /),
      egress: { direction: 'egress', verdict: 'allow', reason: 'not-isolated', subject: 'ops/prom', peer: 'shop/db', policies: [], text: expect.any(String) },
      ingress: {
        direction: 'ingress',
        verdict: 'allow',
        reason: 'admitted',
        subject: 'shop/db',
        peer: 'ops/prom',
        policies: ['shop/db'],
        admittedBy: { policy: 'shop/db', rule: 'spec.ingress[0]', peer: 'spec.ingress[0].from[1]', port: 'spec.ingress[0].ports[1]' },
        text: 'ingress to shop/db is admitted by shop/db spec.ingress[0] (from[1], ports[1])',
      },
      issues: [{ code: 'namespace_labels_unknown', message: expect.stringContaining('only kubernetes.io/metadata.name was assumed') }],
    });
    expect(explainDecision(snapshot.evaluate(internet, db, 22, 'TCP'))).toMatchObject({
      egress: { reason: 'external-peer', subject: '203.0.113.7' },
      ingress: { reason: 'no-rule-admits', policies: ['shop/db'] },
    });
  });
});
