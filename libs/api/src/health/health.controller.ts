import { Controller, Get, HttpException, HttpStatus, Inject } from '@nestjs/common';
import type { HealthReport } from '@driftwatch/contracts';
import { DatabaseHealthRepository } from '@driftwatch/persistence';
import { NoRateLimit, Public } from '../auth/access.js';
import { APP_VERSION } from '../tokens.js';

/** Health of one Driftwatch process: unauthenticated, and never rate-limited (probes call it on a schedule). */
@Public()
@NoRateLimit()
@Controller('health')
export class HealthController {
  constructor(
    private readonly database: DatabaseHealthRepository,
    @Inject(APP_VERSION) private readonly version: string,
  ) {}

  /** 200 with status ok when the database answers; 503 with the same shape, status degraded, when it does not. */
  @Get()
  async health(): Promise<HealthReport> {
    const up = await this.database.isUp();
    const report: HealthReport = { status: up ? 'ok' : 'degraded', database: up ? 'up' : 'down', version: this.version };
    if (!up) throw new HttpException(report, HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }
}
