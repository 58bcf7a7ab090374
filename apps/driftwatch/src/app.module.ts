import { Module, type DynamicModule } from '@nestjs/common';
import { ApiModule } from '@driftwatch/api';
import type { DriftwatchMetrics } from '@driftwatch/metrics';
import { PersistenceModule } from '@driftwatch/persistence';

export interface AppOptions {
  readonly databaseUrl: string;
  readonly version: string;
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS, for the URL check of the webhooks API (default false). */
  readonly allowPrivateWebhooks?: boolean;
  /** `DRIFTWATCH_ADMIN_TOKEN`, accepted as an admin key. */
  readonly adminToken?: string;
  /** The process's metrics, served at `/metrics`. */
  readonly metrics?: DriftwatchMetrics;
  /** `METRICS_TOKEN`: `/metrics` then needs it as a bearer token. */
  readonly metricsToken?: string;
  /** `RATE_LIMIT_PER_MINUTE` (default 600; 0 = no limit). */
  readonly rateLimitPerMinute?: number;
}

/** The whole application: feature modules composed over one database. */
@Module({})
export class AppModule {
  static forRoot(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        PersistenceModule.forRoot({ databaseUrl: options.databaseUrl }),
        ApiModule.forRoot({
          version: options.version,
          webhooks: { allowPrivateNetworks: options.allowPrivateWebhooks ?? false },
          ...(options.adminToken ? { adminToken: options.adminToken } : {}),
          ...(options.metrics ? { metrics: options.metrics } : {}),
          ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
          ...(options.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: options.rateLimitPerMinute } : {}),
        }),
      ],
    };
  }
}
