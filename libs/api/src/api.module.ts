import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AlertsController } from './alerts/alerts.controller.js';
import { AuditLogController } from './audit/audit-log.controller.js';
import { ApiKeyAuthenticator } from './auth/api-key.authenticator.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { AlertsGateway } from './realtime/alerts.gateway.js';
import { HealthController } from './health/health.controller.js';
import { PoliciesController } from './policies/policies.controller.js';
import { PolicyRevisionsService } from './policies/policy-revisions.service.js';
import { ComplianceService } from './reports/compliance.service.js';
import { ReportsController } from './reports/reports.controller.js';
import { PageController } from './page/page.controller.js';
import { API_OPTIONS, APP_VERSION, type ApiOptions } from './tokens.js';
import { WEBHOOK_SETTINGS, WebhooksController } from './webhooks/webhooks.controller.js';
import { WhatIfController } from './whatif/whatif.controller.js';
import { WhatIfService } from './whatif/whatif.service.js';

/** REST under /api/v1 (the prefix is set by the app: `setApiPrefix`), behind API key auth (health and the page are public). */
@Module({})
export class ApiModule {
  static forRoot(options: ApiOptions): DynamicModule {
    return {
      module: ApiModule,
      controllers: [HealthController, AlertsController, WebhooksController, PoliciesController, AuditLogController, WhatIfController, ReportsController, PageController],
      providers: [
        { provide: APP_VERSION, useValue: options.version },
        { provide: API_OPTIONS, useValue: options },
        { provide: WEBHOOK_SETTINGS, useValue: options.webhooks ?? { allowPrivateNetworks: false } },
        ApiKeyAuthenticator,
        AlertsGateway,
        PolicyRevisionsService,
        WhatIfService,
        ComplianceService,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    };
  }
}
