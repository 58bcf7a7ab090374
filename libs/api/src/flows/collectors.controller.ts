import { Controller, Get } from '@nestjs/common';
import type { CollectorsResponse } from '@driftwatch/contracts';
import { FlowQueriesProvider } from '@driftwatch/persistence';
import { CurrentActor, type Actor } from '../auth/access.js';

/** How far back the gaps of each collector go, and how many are listed. */
const GAP_WINDOW_MS = 24 * 60 * 60 * 1000;
const GAPS_PER_COLLECTOR = 50;

/**
 * `/api/v1/collectors`: each flow source's state and recent gaps. It holds no namespace data, so every key reads
 * it; keys scoped to namespaces get only the gap details that cannot quote flow data.
 */
@Controller('collectors')
export class CollectorsController {
  constructor(private readonly flows: FlowQueriesProvider) {}

  @Get()
  async list(@CurrentActor() actor: Actor): Promise<CollectorsResponse> {
    const collectors = await this.flows.queries.collectors.list({
      since: new Date(Date.now() - GAP_WINDOW_MS),
      perCollector: GAPS_PER_COLLECTOR,
      details: actor.namespaces === '*' ? 'all' : 'safe',
    });
    return { collectors };
  }
}
