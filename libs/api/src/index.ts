export { ApiModule, ROUTES_OUTSIDE_PREFIX } from './api.module.js';
export { NestLogger } from './logging/nest-logger.js';
export { REQUEST_ID_HEADER, requestIdFrom, useRequestContext } from './logging/request-context.middleware.js';
export type { ApiOptions } from './tokens.js';
export type { HealthReport } from './health/health.controller.js';
export { canSee, CurrentActor, hasRole, Public, RequireRole, ROLES, type Actor, type Role } from './auth/access.js';
export {
  apiKeyPrefix, generateApiKey, hashApiKey, isRole, issueApiKey, issueInitialAdminKey, parseNamespaceScope, type ApiKeyRequest,
} from './auth/api-key-secrets.js';
