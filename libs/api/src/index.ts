export { ApiModule } from './api.module.js';
export { NestLogger } from './logging/nest-logger.js';
export { REQUEST_ID_HEADER, requestIdFrom, useRequestContext } from './logging/request-context.middleware.js';
export { PAGE_CSP, PageController } from './page/page.controller.js';
export type { ApiOptions } from './tokens.js';
export {
  canSee, CurrentActor, hasRole, NoRateLimit, Public, RequireRole, ROLES, routePolicy, type Actor, type Role, type RoutePolicy,
} from './auth/access.js';
export {
  apiKeyPrefix, generateAdminToken, generateApiKey, hashApiKey, isRole, issueApiKey, parseNamespaceScope, type ApiKeyRequest,
} from './auth/api-key-secrets.js';
export {
  API_PREFIX, configureHttp, DEFAULT_BODY_LIMIT_BYTES, isAcceptedBodyType, JSON_CONTENT_TYPES, ROUTES_OUTSIDE_PREFIX, YAML_CONTENT_TYPES,
  type HttpOptions,
} from './http/configure-http.js';
export { DEFAULT_RATE_LIMIT_PER_MINUTE } from './http/rate-limit.guard.js';
