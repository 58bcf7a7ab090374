import type { ServerResponse } from 'node:http';
import { Controller, Get, NotFoundException, Param, Query, Res } from '@nestjs/common';
import { flowExportQuery, flowListQuery, flowRecordParams, flowTimeRange, type FlowExportQuery, type FlowListQuery } from '@driftwatch/contracts';
import { FlowQueriesProvider, type FlowRecordFilter } from '@driftwatch/persistence';
import type { z } from 'zod';
import { CurrentActor, type Actor } from '../auth/access.js';
import { ZodPipe } from '../validation/zod.pipe.js';
import { streamExport } from './flow-export.js';

/** The filters of a validated query with its time range resolved (default: the hour before now). */
export function flowFilter(query: Omit<FlowListQuery, 'cursor' | 'limit'> | Omit<FlowExportQuery, 'format' | 'max'>): FlowRecordFilter {
  return { ...query, ...flowTimeRange(query) };
}

/** `/api/v1/flows`: stored flow records (list, export, evidence), within the key's namespace scope. */
@Controller('flows')
export class FlowsController {
  constructor(private readonly flows: FlowQueriesProvider) {}

  /** Newest first, keyset-paged by `cursor`. */
  @Get()
  list(@Query(new ZodPipe(flowListQuery)) query: FlowListQuery, @CurrentActor() actor: Actor) {
    const { cursor, limit, ...filters } = query;
    return this.flows.queries.records.page(flowFilter(filters), actor.namespaces, cursor, limit);
  }

  /** Every matching record as NDJSON or CSV, streamed with the socket's backpressure. */
  @Get('export')
  async export(@Query(new ZodPipe(flowExportQuery)) query: FlowExportQuery, @CurrentActor() actor: Actor, @Res() res: ServerResponse): Promise<void> {
    const { format, max, ...filters } = query;
    await streamExport(res, this.flows.queries.records.export(flowFilter(filters), actor.namespaces, { max }), format);
  }

  /** The record and its evidence flows; 404 when unknown or outside the scope (the same answer for both). */
  @Get(':id/evidence')
  async evidence(@Param(new ZodPipe(flowRecordParams)) params: z.output<typeof flowRecordParams>, @CurrentActor() actor: Actor) {
    const found = await this.flows.queries.records.evidence(params.id, actor.namespaces);
    if (!found) throw new NotFoundException('no such flow record');
    return found;
  }
}
