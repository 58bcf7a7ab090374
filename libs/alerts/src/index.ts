/**
 * @driftwatch/alerts: the drift detector and the alert lifecycle, the outbox and the webhook dispatcher.
 */
export {};
export { WebhookDispatcher, type WebhookDispatcherOptions, DEFAULT_RETRY_POLICY, type RetryPolicy } from './webhooks/index.js';
