import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController } from './health/health.controller.js';
import { APP_VERSION } from './tokens.js';

/** REST under /api/v1 (the prefix is set by the app). */
@Module({})
export class ApiModule {
  static forRoot(options: { version: string }): DynamicModule {
    return {
      module: ApiModule,
      controllers: [HealthController],
      providers: [{ provide: APP_VERSION, useValue: options.version }],
    };
  }
}
