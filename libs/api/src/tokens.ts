import type { DriftwatchMetrics } from '@driftwatch/metrics';

/** DI token for the running version of Driftwatch (from package.json). */
export const APP_VERSION = Symbol('APP_VERSION');

/** DI token for {@link ApiOptions}. */
export const API_OPTIONS = Symbol('API_OPTIONS');

/** DI token for the process's DriftwatchMetrics (served at `/metrics`). */
export const METRICS = Symbol('METRICS');

/** Settings of the API module. */
export interface ApiOptions {
  readonly version: string;
  /** `DRIFTWATCH_ADMIN_TOKEN`: accepted as an admin key with scope `*`. */
  readonly adminToken?: string;
  /** Webhook settings the webhook routes need (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`). */
  readonly webhooks?: { readonly allowPrivateNetworks: boolean };
  /** The process's metrics, served at `/metrics` (default: a registry of this API's own, process metrics only). */
  readonly metrics?: DriftwatchMetrics;
  /** `METRICS_TOKEN`: when set, `/metrics` needs `Authorization: Bearer <token>`. */
  readonly metricsToken?: string;
  /** `RATE_LIMIT_PER_MINUTE`: requests a key (or a client address without one) may make a minute; 0 = no limit. Default 600. */
  readonly rateLimitPerMinute?: number;
}
