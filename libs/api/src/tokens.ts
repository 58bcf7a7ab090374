/** DI token for the running version of Driftwatch (from package.json). */
export const APP_VERSION = Symbol('APP_VERSION');

/** DI token for {@link ApiOptions}. */
export const API_OPTIONS = Symbol('API_OPTIONS');

/** Settings of the API module. */
export interface ApiOptions {
  readonly version: string;
  /** `DRIFTWATCH_ADMIN_TOKEN`: accepted as an admin key with scope `*`. */
  readonly adminToken?: string;
  /** Webhook settings the webhook routes need (`WEBHOOK_ALLOW_PRIVATE_NETWORKS`). */
  readonly webhooks?: { readonly allowPrivateNetworks: boolean };
  /** `RATE_LIMIT_PER_MINUTE`: requests a key (or a client address without one) may make a minute; 0 = no limit. Default 600. */
  readonly rateLimitPerMinute?: number;
}
