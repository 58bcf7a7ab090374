/** `/api/v1/health`: is this process and its database up. Public, and not rate-limited. */
import { z } from 'zod';
import type { RouteContract } from './route-contract.js';

/** Health of one Driftwatch process. */
export const healthReport = z
  .strictObject({
    status: z.enum(['ok', 'degraded']),
    database: z.enum(['up', 'down']),
    version: z.string().meta({ description: 'the running Driftwatch version' }),
  })
  .meta({ id: 'HealthReport', description: 'Health of one Driftwatch process.' });
export type HealthReport = z.output<typeof healthReport>;

export const healthRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/api/v1/health',
    summary: 'Health of this process',
    description: '200 with status ok when the database answers; 503 with the same shape, status degraded, when it does not.',
    tag: 'health',
    access: 'public',
    rateLimited: false,
    responses: {
      200: { description: 'up', schema: healthReport },
      503: { description: 'the database does not answer', schema: healthReport },
    },
  },
];
