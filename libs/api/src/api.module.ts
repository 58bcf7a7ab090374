import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DriftwatchMetrics } from '@driftwatch/metrics';
import { AlertsController } from './alerts/alerts.controller.js';
import { ApiKeyAuthenticator } from './auth/api-key.authenticator.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { AlertsGateway } from './realtime/alerts.gateway.js';
import { HealthController } from './health/health.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { API_OPTIONS, APP_VERSION, METRICS, type ApiOptions } from './tokens.js';
import { WEBHOOK_SETTINGS, WebhooksController } from './webhooks/webhooks.controller.js';

/**
 * Routes served outside the `/api/v1` prefix, for `setGlobalPrefix('api/v1', { exclude })`: Prometheus looks for
 * `/metrics` at the root.
 */
export const ROUTES_OUTSIDE_PREFIX: readonly string[] = ['metrics'];

/**
 * REST under /api/v1 (the prefix is set by the app), behind API key auth (health and metrics are public), and
 * `/metrics`. The app installs request ids with `useRequestContext(app)`.
 */
@Module({})
export class ApiModule {
  static forRoot(options: ApiOptions): DynamicModule {
    return {
      module: ApiModule,
      controllers: [HealthController, AlertsController, WebhooksController, MetricsController],
      providers: [
        { provide: APP_VERSION, useValue: options.version },
        { provide: METRICS, useValue: options.metrics ?? new DriftwatchMetrics({ version: options.version }) },
        { provide: API_OPTIONS, useValue: options },
        { provide: WEBHOOK_SETTINGS, useValue: options.webhooks ?? { allowPrivateNetworks: false } },
        ApiKeyAuthenticator,
        AlertsGateway,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    };
  }
}
