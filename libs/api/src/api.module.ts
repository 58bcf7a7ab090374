import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController } from './health/health.controller.js';
import { APP_VERSION } from './tokens.js';
import { WEBHOOK_SETTINGS, WebhooksController } from './webhooks/webhooks.controller.js';

/** REST under /api/v1 (the prefix is set by the app). */
@Module({})
export class ApiModule {
  static forRoot(options: { version: string; webhooks?: { allowPrivateNetworks: boolean } }): DynamicModule {
    return {
      module: ApiModule,
      controllers: [HealthController, WebhooksController],
      providers: [
        { provide: APP_VERSION, useValue: options.version },
        { provide: WEBHOOK_SETTINGS, useValue: options.webhooks ?? { allowPrivateNetworks: false } },
      ],
    };
  }
}
