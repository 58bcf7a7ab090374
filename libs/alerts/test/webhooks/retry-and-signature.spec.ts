import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nextAttemptAt, signatureHeader, webhookBody } from '../../src/webhooks/index.js';
import { loadExampleReceiver } from './receivers.js';

const policy = { baseMs: 10_000, maxMs: 3_600_000, giveUpAfterMs: 24 * 3_600_000 };
const created = new Date('2026-01-01T00:00:00Z');

describe('nextAttemptAt: exponential backoff with full jitter, for 24 h', () => {
  it.each([
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [9, 2_560_000],
    [10, 3_600_000],
    [60, 3_600_000],
  ])('after attempt %i waits from 0 up to %i ms', (attempt, ceiling) => {
    const now = new Date(created.getTime() + 1000);
    expect(nextAttemptAt(attempt, created, now, policy, () => 0)!.getTime() - now.getTime()).toBe(0);
    expect(nextAttemptAt(attempt, created, now, policy, () => 0.999_999)!.getTime() - now.getTime()).toBe(Math.floor(0.999_999 * ceiling));
    expect(nextAttemptAt(attempt, created, now, policy, () => 0.5)!.getTime() - now.getTime()).toBe(ceiling / 2);
  });

  it('gives up when the next attempt would fall past 24 h after the delivery was created', () => {
    const late = new Date(created.getTime() + 24 * 3_600_000 - 5_000);
    expect(nextAttemptAt(1, created, late, policy, () => 0.4)).toBeDefined();
    expect(nextAttemptAt(1, created, late, policy, () => 0.6)).toBeUndefined();
    expect(nextAttemptAt(30, created, new Date(created.getTime() + 25 * 3_600_000), policy, () => 0)).toBeUndefined();
  });
});

describe('signatureHeader', () => {
  const body = webhookBody({ id: '7', type: 'alert.opened', createdAt: '2026-01-01T00:00:00.000Z', alert: { severity: 'high' } });

  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> per secret, current first', () => {
    const hmac = (secret: string) => createHmac('sha256', secret).update(`1767225600.${body}`).digest('hex');
    expect(signatureHeader(body, ['new'], 1767225600.9)).toBe(`t=1767225600,v1=${hmac('new')}`);
    expect(signatureHeader(body, ['new', 'old'], 1767225600)).toBe(`t=1767225600,v1=${hmac('new')},v1=${hmac('old')}`);
  });

  it('is what the example receiver verifies, within 5 minutes only', async () => {
    const { verifySignature } = await loadExampleReceiver();
    const header = signatureHeader(body, ['s3cret'], 1767225600);
    expect(verifySignature({ header, body, secret: 's3cret', now: 1767225600 + 299 })).toEqual({ ok: true, timestamp: 1767225600 });
    expect(verifySignature({ header, body, secret: 's3cret', now: 1767225600 + 301 })).toMatchObject({ ok: false });
    expect(verifySignature({ header: undefined, body, secret: 's3cret' })).toEqual({ ok: false, reason: 'missing signature header' });
    expect(verifySignature({ header: 't=1767225600,v1=zz', body, secret: 's3cret', now: 1767225600 })).toMatchObject({ ok: false });
  });

  it('serializes the body with id, type, createdAt and alert in that order', () => {
    expect(body).toBe('{"id":"7","type":"alert.opened","createdAt":"2026-01-01T00:00:00.000Z","alert":{"severity":"high"}}');
  });
});
