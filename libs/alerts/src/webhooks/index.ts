export { WebhookDispatcher, type WebhookDispatcherOptions } from './webhook-dispatcher.js';
export { DEFAULT_RETRY_POLICY, nextAttemptAt, type RetryPolicy } from './retry-schedule.js';
export { signatureHeader, webhookBody, type WebhookEventBody } from './webhook-signature.js';
