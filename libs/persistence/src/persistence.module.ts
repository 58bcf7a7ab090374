import { Global, Inject, Injectable, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { AlertStore } from './alerts/alert-store.js';
import { FlowQueries } from './flows/flow-queries.js';
import { DatabaseHealthRepository } from './health/database-health.repository.js';
import { DATABASE_URL, PrismaService } from './prisma/prisma.service.js';
import { RateLimitRepository } from './ratelimit/rate-limit.repository.js';
import { ReportStore } from './reports/report-store.js';
import { WebhookRepository } from './webhooks/webhook.repository.js';

/** The postgres.js repositories of alerts, keys and audit for the application, closed with it. */
@Injectable()
export class AlertStoreProvider implements OnModuleDestroy {
  readonly store: AlertStore;

  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    this.store = AlertStore.open(databaseUrl, 8);
  }

  async onModuleDestroy(): Promise<void> {
    await this.store.close();
  }
}

/** The read side of what-ifs and compliance reports for the application (a pool of its own), closed with it. */
@Injectable()
export class ReportStoreProvider implements OnModuleDestroy {
  readonly store: ReportStore;

  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    this.store = ReportStore.open(databaseUrl);
  }

  async onModuleDestroy(): Promise<void> {
    await this.store.close();
  }
}

/** The read side of flows (records, evidence, connections, collectors) for the API, closed with it. */
@Injectable()
export class FlowQueriesProvider implements OnModuleDestroy {
  readonly queries: FlowQueries;

  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    this.queries = FlowQueries.open(databaseUrl);
  }

  async onModuleDestroy(): Promise<void> {
    await this.queries.close();
  }
}

/** The rate limit's shared counts for the API (a small pool of its own), closed with it. */
@Injectable()
export class RateLimitProvider implements OnModuleDestroy {
  readonly counters: RateLimitRepository;

  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    this.counters = RateLimitRepository.open(databaseUrl);
  }

  async onModuleDestroy(): Promise<void> {
    await this.counters.close();
  }
}

/** The repositories over one database; global so feature modules inject them without importing this module. */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: { databaseUrl: string }): DynamicModule {
    const repositories = [PrismaService, DatabaseHealthRepository, WebhookRepository, AlertStoreProvider, ReportStoreProvider, FlowQueriesProvider,
      RateLimitProvider];
    return {
      module: PersistenceModule,
      providers: [{ provide: DATABASE_URL, useValue: options.databaseUrl }, ...repositories],
      exports: repositories,
    };
  }
}
