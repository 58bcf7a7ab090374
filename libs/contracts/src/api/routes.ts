import { auditRoutes } from './audit.js';
import { policiesRoutes } from './policies.js';
import { reportsRoutes } from './reports.js';
import { pageRoutes } from './page.js';
import { whatifRoutes } from './whatif.js';
import { alertsRoutes } from './alerts.js';
import { healthRoutes } from './health.js';
import { metaRoutes } from './meta.js';
import { flowsRoutes } from './flows.js';
import { metricsRoutes } from './metrics.js';
import type { RouteContract } from './route-contract.js';
import { webhooksRoutes } from './webhooks.js';

/**
 * Every REST route the app serves, as contracts. The OpenAPI document is generated from this list, and a test
 * holds it against the routes Nest really serves. Each area adds its list here (one line each).
 */
export const API_ROUTES: readonly RouteContract[] = [
  ...healthRoutes,
  ...alertsRoutes,
  ...webhooksRoutes,
  ...metaRoutes,
  ...policiesRoutes,
  ...auditRoutes,
  ...whatifRoutes,
  ...reportsRoutes,
  ...pageRoutes,
  ...flowsRoutes,
  ...metricsRoutes,
];
