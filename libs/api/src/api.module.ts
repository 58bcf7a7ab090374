import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DriftwatchMetrics } from '@driftwatch/metrics';
import { RateLimitProvider } from '@driftwatch/persistence';
import { ThrottlerModule } from '@nestjs/throttler';
import { AlertsController } from './alerts/alerts.controller.js';
import { AuditLogController } from './audit/audit-log.controller.js';
import { ApiKeyAuthenticator } from './auth/api-key.authenticator.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { DEFAULT_RATE_LIMIT_PER_MINUTE, RateLimitGuard } from './http/rate-limit.guard.js';
import { SharedThrottlerStorage } from './http/shared-throttler.storage.js';
import { OpenApiController } from './openapi/openapi.controller.js';
import { AlertsGateway } from './realtime/alerts.gateway.js';
import { CollectorsController } from './flows/collectors.controller.js';
import { ConnectionsController } from './flows/connections.controller.js';
import { FlowsController } from './flows/flows.controller.js';
import { HealthController } from './health/health.controller.js';
import { PoliciesController } from './policies/policies.controller.js';
import { PolicyRevisionsService } from './policies/policy-revisions.service.js';
import { ComplianceService } from './reports/compliance.service.js';
import { ReportsController } from './reports/reports.controller.js';
import { PageController } from './page/page.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { API_OPTIONS, APP_VERSION, METRICS, type ApiOptions } from './tokens.js';
import { WEBHOOK_SETTINGS, WebhooksController } from './webhooks/webhooks.controller.js';
import { WhatIfController } from './whatif/whatif.controller.js';
import { WhatIfService } from './whatif/whatif.service.js';

/**
 * REST under /api/v1 (the prefix is set by `configureHttp`; the live page and `/metrics` stay at the root), behind
 * API key auth (health, metrics, the docs and the page are public) and a per-key rate limit (health and metrics
 * are not limited). The guards run in this order: rate limit, then API key. `configureHttp` also installs
 * request ids (`useRequestContext`).
 */
@Module({})
export class ApiModule {
  static forRoot(options: ApiOptions): DynamicModule {
    const perMinute = options.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE;
    return {
      module: ApiModule,
      imports: [
        // Counted in the database, shared by every API process on it (see SharedThrottlerStorage).
        ThrottlerModule.forRootAsync({
          inject: [RateLimitProvider],
          useFactory: (rateLimit: RateLimitProvider) => ({
            throttlers: [{ ttl: 60_000, limit: perMinute }],
            skipIf: () => perMinute === 0,
            storage: new SharedThrottlerStorage(rateLimit.counters),
            errorMessage: (_context, limit) =>
              `too many requests: at most ${perMinute} a minute for this key (or, without one, this address); retry after ${limit.timeToBlockExpire} s`,
          }),
        }),
      ],
      controllers: [
        HealthController, AlertsController, WebhooksController, OpenApiController, PoliciesController, AuditLogController, WhatIfController,
        ReportsController, PageController, FlowsController, ConnectionsController, CollectorsController, MetricsController,
      ],
      providers: [
        { provide: APP_VERSION, useValue: options.version },
        { provide: METRICS, useValue: options.metrics ?? new DriftwatchMetrics({ version: options.version }) },
        { provide: API_OPTIONS, useValue: options },
        { provide: WEBHOOK_SETTINGS, useValue: options.webhooks ?? { allowPrivateNetworks: false } },
        ApiKeyAuthenticator,
        AlertsGateway,
        PolicyRevisionsService,
        WhatIfService,
        ComplianceService,
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    };
  }
}
