import { Body, ConflictException, Controller, Get, HttpCode, NotFoundException, Param, Post, Query } from '@nestjs/common';
import { AlertStoreProvider, type AlertAction, type AlertActionResult } from '@driftwatch/persistence';
import { alertId, alertListQuery, emptyBody, suppressBody } from '@driftwatch/contracts';
import type { z } from 'zod';
import { CurrentActor, RequireRole, type Actor } from '../auth/access.js';
import { ZodPipe } from '../validation/zod.pipe.js';

/** Drift alerts: list, read, acknowledge, resolve and silence, within the key's namespace scope. */
@Controller('alerts')
export class AlertsController {
  constructor(private readonly stores: AlertStoreProvider) {}

  /** Newest first; `nextCursor` pages on. Filters: status, severity, kind, namespace, since. */
  @Get()
  list(@Query(new ZodPipe(alertListQuery)) query: z.output<typeof alertListQuery>, @CurrentActor() actor: Actor) {
    return this.stores.store.alerts.list(query, actor.namespaces);
  }

  /** The alert with its explanation, sample flow, evidence flows and events. */
  @Get(':id')
  async get(@Param('id', new ZodPipe(alertId)) id: string, @CurrentActor() actor: Actor) {
    const found = await this.stores.store.alerts.get(id, actor.namespaces);
    if (!found) throw new NotFoundException(`no alert ${id}`);
    return found;
  }

  @RequireRole('operator')
  @Post(':id/ack')
  @HttpCode(200)
  ack(@Param('id', new ZodPipe(alertId)) id: string, @Body(new ZodPipe(emptyBody)) _body: unknown, @CurrentActor() actor: Actor) {
    return this.act(id, { kind: 'acknowledge' }, actor);
  }

  @RequireRole('operator')
  @Post(':id/resolve')
  @HttpCode(200)
  resolve(@Param('id', new ZodPipe(alertId)) id: string, @Body(new ZodPipe(emptyBody)) _body: unknown, @CurrentActor() actor: Actor) {
    return this.act(id, { kind: 'resolve' }, actor);
  }

  @RequireRole('operator')
  @Post(':id/suppress')
  @HttpCode(200)
  suppress(@Param('id', new ZodPipe(alertId)) id: string, @Body(new ZodPipe(suppressBody)) body: z.output<typeof suppressBody>, @CurrentActor() actor: Actor) {
    return this.act(id, { kind: 'suppress', until: body.until, reason: body.reason }, actor);
  }

  private async act(id: string, action: AlertAction, actor: Actor) {
    const result: AlertActionResult = await this.stores.store.alerts.act(id, action, actor.prefix, actor.namespaces);
    if (result.kind === 'not-found') throw new NotFoundException(`no alert ${id}`);
    if (result.kind === 'conflict') throw new ConflictException(result.message);
    return { alert: result.alert, eventId: result.event.id };
  }
}
