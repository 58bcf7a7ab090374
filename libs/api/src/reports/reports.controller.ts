import { Controller, Get, Query, Res } from '@nestjs/common';
import { complianceQuerySchema, type ComplianceQuery, type ComplianceReport } from '@driftwatch/contracts';
import { CurrentActor, type Actor } from '../auth/access.js';
import { ZodPipe } from '../validation/zod.pipe.js';
import { complianceCsv } from './compliance-report.js';
import { ComplianceService } from './compliance.service.js';

/** The header side of the response, as much of Express's as this controller uses. */
interface HeaderSink {
  setHeader(name: string, value: string): unknown;
}

/** `GET /api/v1/reports/compliance` (viewer and up): see `reportsRoutes` in @driftwatch/contracts. */
@Controller('reports')
export class ReportsController {
  constructor(private readonly compliance: ComplianceService) {}

  @Get('compliance')
  async complianceReport(
    @Query(new ZodPipe(complianceQuerySchema)) query: ComplianceQuery,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) response: HeaderSink,
  ): Promise<ComplianceReport | string> {
    const report = await this.compliance.report(query, actor);
    if (query.format === 'json') return report;
    response.setHeader('content-type', 'text/csv; charset=utf-8');
    response.setHeader('content-disposition', 'attachment; filename="compliance.csv"');
    return complianceCsv(report);
  }
}
