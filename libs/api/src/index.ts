export { ApiModule } from './api.module.js';
export type { HealthReport } from './health/health.controller.js';
