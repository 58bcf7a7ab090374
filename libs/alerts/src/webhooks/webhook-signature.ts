import { createHmac } from 'node:crypto';

/** The fields a delivery POSTs, in this order: the event id, its type, when it happened, and the alert. */
export interface WebhookEventBody {
  readonly id: string;
  readonly type: string;
  readonly createdAt: string;
  readonly alert: unknown;
}

/**
 * The `X-Driftwatch-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, one `v1=` per
 * secret (the current one first; during a rotation's grace period the previous one too, as Stripe does).
 */
export function signatureHeader(body: string, secrets: readonly string[], unixSeconds: number): string {
  const t = Math.floor(unixSeconds);
  const signatures = secrets.map((secret) => `v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
  return [`t=${t}`, ...signatures].join(',');
}

/** The body of a delivery, serialized once per attempt (the signature covers these exact bytes). */
export function webhookBody(event: WebhookEventBody): string {
  return JSON.stringify({ id: event.id, type: event.type, createdAt: event.createdAt, alert: event.alert ?? null });
}
