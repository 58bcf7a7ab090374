export { ApiModule } from './api.module.js';
export type { HealthReport } from './health/health.controller.js';
export { canSee, CurrentActor, hasRole, Public, RequireRole, ROLES, type Actor, type Role } from './auth/access.js';
