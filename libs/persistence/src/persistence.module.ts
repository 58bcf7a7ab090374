import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DatabaseHealthRepository } from './health/database-health.repository.js';
import { DATABASE_URL, PrismaService } from './prisma/prisma.service.js';
import { WebhookRepository } from './webhooks/webhook.repository.js';

/** The repositories over one database; global so feature modules inject them without importing this module. */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: { databaseUrl: string }): DynamicModule {
    const repositories = [PrismaService, DatabaseHealthRepository, WebhookRepository];
    return {
      module: PersistenceModule,
      providers: [{ provide: DATABASE_URL, useValue: options.databaseUrl }, ...repositories],
      exports: repositories,
    };
  }
}
