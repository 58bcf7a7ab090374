import type { ServerResponse } from 'node:http';
import { Controller, Get, Headers, Inject, Logger, Res, UnauthorizedException, type OnModuleInit } from '@nestjs/common';
import { hasBearerToken, type DriftwatchMetrics } from '@driftwatch/metrics';
import { AlertStoreProvider } from '@driftwatch/persistence';
import { NoRateLimit, Public } from '../auth/access.js';
import { API_OPTIONS, METRICS, type ApiOptions } from '../tokens.js';

/**
 * `GET /metrics` (outside `/api/v1`): the process's Prometheus metrics. Needs no API key; when METRICS_TOKEN is
 * set, `Authorization: Bearer <METRICS_TOKEN>`. Never rate-limited (`@NoRateLimit`): a scraper that is refused
 * sees a gap, not the problem. Unresolved alerts are read from the database on each scrape.
 */
@Public()
@NoRateLimit()
@Controller('metrics')
export class MetricsController implements OnModuleInit {
  private readonly log = new Logger('Metrics');
  private warned = false;

  constructor(
    @Inject(METRICS) private readonly metrics: DriftwatchMetrics,
    @Inject(API_OPTIONS) private readonly options: ApiOptions,
    private readonly stores: AlertStoreProvider,
  ) {}

  onModuleInit(): void {
    this.metrics.readOpenAlertsWith(
      async () => {
        const counts = await this.stores.store.alerts.unresolvedCounts();
        this.warned = false;
        return counts;
      },
      (error) => {
        if (!this.warned) this.log.warn(`cannot read unresolved alerts for /metrics (${error.message}); driftwatch_open_alerts is left out until it can`);
        this.warned = true;
      },
    );
  }

  @Get()
  async scrape(@Headers('authorization') authorization: string | undefined, @Res({ passthrough: true }) res: ServerResponse): Promise<string> {
    const token = this.options.metricsToken;
    if (token !== undefined && !hasBearerToken(authorization, token)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new UnauthorizedException('metrics need the METRICS_TOKEN: send Authorization: Bearer <token>');
    }
    const text = await this.metrics.render();
    res.setHeader('Content-Type', this.metrics.contentType);
    return text;
  }
}
