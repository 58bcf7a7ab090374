export { ApiModule } from './api.module.js';
export { API_PREFIX, PAGE_CSP, PageController, setApiPrefix } from './page/page.controller.js';
export type { ApiOptions } from './tokens.js';
export type { HealthReport } from './health/health.controller.js';
export { canSee, CurrentActor, hasRole, Public, RequireRole, ROLES, type Actor, type Role } from './auth/access.js';
export {
  apiKeyPrefix, generateAdminToken, generateApiKey, hashApiKey, isRole, issueApiKey, parseNamespaceScope, type ApiKeyRequest,
} from './auth/api-key-secrets.js';
