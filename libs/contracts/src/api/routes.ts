import { metricsRoutes } from './metrics.js';
import type { RouteContract } from './route-contract.js';

/**
 * Every REST route the app serves, as contracts. The OpenAPI document is generated from this list, and a test
 * holds it against the routes Nest really serves. Each area adds its list here (one line each).
 */
export const API_ROUTES: readonly RouteContract[] = [
  ...metricsRoutes,
];
