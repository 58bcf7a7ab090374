import { auditRoutes } from './audit.js';
import { policiesRoutes } from './policies.js';
import { reportsRoutes } from './reports.js';
import { pageRoutes } from './page.js';
import type { RouteContract } from './route-contract.js';
import { whatifRoutes } from './whatif.js';

/**
 * Every REST route the app serves, as contracts. The OpenAPI document is generated from this list, and a test
 * holds it against the routes Nest really serves. Each area adds its list here (one line each).
 */
export const API_ROUTES: readonly RouteContract[] = [
  ...policiesRoutes,
  ...auditRoutes,
  ...whatifRoutes,
  ...reportsRoutes,
  ...pageRoutes,
];
