/**
 * @driftwatch/alerts: the drift detector and the alert lifecycle, the outbox and the webhook dispatcher.
 */
export {};
