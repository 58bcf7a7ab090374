import { Module, type DynamicModule } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AlertsController } from './alerts/alerts.controller.js';
import { ApiKeyAuthenticator } from './auth/api-key.authenticator.js';
import { ApiKeyGuard } from './auth/api-key.guard.js';
import { AlertsGateway } from './realtime/alerts.gateway.js';
import { CollectorsController } from './flows/collectors.controller.js';
import { ConnectionsController } from './flows/connections.controller.js';
import { FlowsController } from './flows/flows.controller.js';
import { HealthController } from './health/health.controller.js';
import { API_OPTIONS, APP_VERSION, type ApiOptions } from './tokens.js';
import { WEBHOOK_SETTINGS, WebhooksController } from './webhooks/webhooks.controller.js';

/** REST under /api/v1 (the prefix is set by the app), behind API key auth (health is public). */
@Module({})
export class ApiModule {
  static forRoot(options: ApiOptions): DynamicModule {
    return {
      module: ApiModule,
      controllers: [HealthController, AlertsController, WebhooksController, FlowsController, ConnectionsController, CollectorsController],
      providers: [
        { provide: APP_VERSION, useValue: options.version },
        { provide: API_OPTIONS, useValue: options },
        { provide: WEBHOOK_SETTINGS, useValue: options.webhooks ?? { allowPrivateNetworks: false } },
        ApiKeyAuthenticator,
        AlertsGateway,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
    };
  }
}
