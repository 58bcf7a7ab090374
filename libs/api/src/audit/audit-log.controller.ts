import { Controller, ForbiddenException, Get, Query } from '@nestjs/common';
import { auditLogQuery } from '@driftwatch/contracts';
import { AlertStoreProvider, type AuditRow } from '@driftwatch/persistence';
import { CurrentActor, RequireRole, type Actor } from '../auth/access.js';
import { parseOr400 } from '../validation/zod.pipe.js';

/**
 * `GET /api/v1/audit-log`: every change made through the API or the CLI, newest first. Admin keys with every
 * namespace only: entries name keys, webhooks, alerts and revisions of the whole cluster, so a namespace-scoped
 * admin is refused (403) rather than shown a log filtered by guesswork.
 */
@Controller('audit-log')
export class AuditLogController {
  constructor(private readonly stores: AlertStoreProvider) {}

  @Get()
  @RequireRole('admin')
  async list(@Query() query: unknown, @CurrentActor() actor: Actor) {
    if (actor.namespaces !== '*') throw new ForbiddenException('the audit log needs an admin key with every namespace (*); this key is scoped');
    const q = parseOr400(auditLogQuery, query);
    const rows = await this.stores.store.audit.page({
      limit: q.limit + 1,
      ...(q.from ? { from: q.from } : {}),
      ...(q.to ? { to: q.to } : {}),
      ...(q.action ? { actions: q.action } : {}),
      ...(q.actor !== undefined ? { actor: q.actor } : {}),
      ...(q.targetType ? { targetTypes: q.targetType } : {}),
      ...(q.targetId !== undefined ? { targetId: q.targetId } : {}),
      ...(q.cursor ? { before: q.cursor } : {}),
    });
    const page = rows.slice(0, q.limit);
    return {
      entries: page.map((r) => ({ id: r.id, at: r.at.toISOString(), actor: r.actor, action: r.action, targetType: r.targetType, targetId: r.targetId, details: r.details })),
      nextCursor: rows.length > q.limit ? (page[page.length - 1] as AuditRow).id : null,
    };
  }
}
