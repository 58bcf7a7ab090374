import { createHmac } from 'node:crypto';
import type { WebhookDeliveryBody } from '@driftwatch/contracts';

/**
 * The fields a delivery POSTs, in this order: the event id, its type, when it happened, and the alert (or a test
 * delivery's payload), named as the contract `webhookDeliveryBody` names them. The alert is passed on as stored,
 * so it is not checked here.
 */
export type WebhookEventBody = { readonly [K in keyof WebhookDeliveryBody]: K extends 'alert' ? unknown : string };

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
