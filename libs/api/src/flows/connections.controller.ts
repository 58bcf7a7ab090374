import { Controller, Get, Query } from '@nestjs/common';
import { connectionsQuery, type ConnectionsQuery, type ConnectionsResponse } from '@driftwatch/contracts';
import { FlowQueriesProvider } from '@driftwatch/persistence';
import { CurrentActor, type Actor } from '../auth/access.js';
import { ZodPipe } from '../validation/zod.pipe.js';
import { flowFilter } from './flows.controller.js';

/** `/api/v1/connections`: edges with flow counts per label over a range, within the key's namespace scope. */
@Controller('connections')
export class ConnectionsController {
  constructor(private readonly flows: FlowQueriesProvider) {}

  @Get()
  async list(@Query(new ZodPipe(connectionsQuery)) query: ConnectionsQuery, @CurrentActor() actor: Actor): Promise<ConnectionsResponse> {
    const { limit, ...filters } = query;
    const filter = flowFilter(filters);
    const edges = await this.flows.queries.connections.edges(filter, actor.namespaces, limit);
    return { from: filter.from.toISOString(), to: filter.to.toISOString(), edges };
  }
}
