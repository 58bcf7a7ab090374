import { Injectable } from '@nestjs/common';
import { Prisma, type Webhook } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma/prisma.service.js';
import { WEBHOOK_DELIVERY_CHANNEL } from './webhook-outbox.js';

/** A webhook as the API shows it: never its secrets. */
export interface WebhookView {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly enabled: boolean;
  readonly disabledReason: string | null;
  readonly namespaces: readonly string[];
  readonly minSeverity: string;
  readonly eventTypes: readonly string[];
  /** Until when the secret before the last rotation still signs deliveries (null: no grace period running). */
  readonly previousSecretExpiresAt: Date | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewWebhook {
  readonly name: string;
  readonly url: string;
  readonly secret: string;
  readonly namespaces: readonly string[];
  readonly minSeverity: string;
  readonly eventTypes: readonly string[];
  readonly enabled: boolean;
}

export type WebhookChanges = Partial<Omit<NewWebhook, 'secret'>>;

/** One delivery and every attempt made for it, newest attempt last. */
export interface DeliveryView {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly deliveredAt: Date | null;
  readonly nextAttemptAt: Date | null;
  readonly attemptLog: readonly { attempt: number; at: Date; status: number | null; latencyMs: number; error: string | null }[];
}

/** Raised when another webhook already has the name. */
export class WebhookNameTakenError extends Error {
  constructor(readonly webhookName: string) {
    super(`a webhook named ${JSON.stringify(webhookName)} already exists`);
    this.name = 'WebhookNameTakenError';
  }
}

type Tx = Prisma.TransactionClient;

/**
 * The webhooks as the API manages them. Every change is written to `audit_log` with its actor in the same
 * transaction as the change; audit details never hold a secret. Methods return undefined for an unknown id.
 */
@Injectable()
export class WebhookRepository {
  constructor(private readonly prisma: PrismaService) {}

  async list(): Promise<WebhookView[]> {
    return (await this.prisma.webhook.findMany({ orderBy: { id: 'asc' } })).map(view);
  }

  async get(id: number): Promise<WebhookView | undefined> {
    const row = await this.prisma.webhook.findUnique({ where: { id } });
    return row ? view(row) : undefined;
  }

  async create(input: NewWebhook, actor: string): Promise<WebhookView> {
    const create = async (tx: Tx) => {
      const row = await tx.webhook.create({
        data: { ...input, namespaces: [...input.namespaces], eventTypes: [...input.eventTypes] },
      });
      await audit(tx, actor, 'webhook.create', row.id, describe(input));
      return view(row);
    };
    return this.write(create, input.name, [input.secret]);
  }

  async update(id: number, changes: WebhookChanges, actor: string): Promise<WebhookView | undefined> {
    return this.write(async (tx) => {
      if (!(await tx.webhook.findUnique({ where: { id }, select: { id: true } }))) return undefined;
      const { namespaces, eventTypes, ...rest } = changes;
      const data: Prisma.WebhookUpdateInput = {
        ...rest,
        ...(namespaces ? { namespaces: [...namespaces] } : {}),
        ...(eventTypes ? { eventTypes: [...eventTypes] } : {}),
        ...(changes.enabled === true ? { disabledReason: null } : {}),
      };
      const row = await tx.webhook.update({ where: { id }, data });
      await audit(tx, actor, 'webhook.update', id, describe(changes));
      return view(row);
    }, changes.name);
  }

  /** Deletes the webhook with its deliveries and attempts; returns false for an unknown id. */
  async remove(id: number, actor: string): Promise<boolean> {
    return this.write(async (tx) => {
      const row = await tx.webhook.findUnique({ where: { id }, select: { name: true, url: true } });
      if (!row) return false;
      await tx.webhook.delete({ where: { id } });
      await audit(tx, actor, 'webhook.delete', id, { name: row.name, url: row.url });
      return true;
    });
  }

  /** Replaces the secret; the old one keeps signing (a second v1=) until `graceUntil`. */
  async rotateSecret(id: number, secret: string, graceUntil: Date, actor: string): Promise<WebhookView | undefined> {
    return this.write(async (tx) => {
      const current = await tx.webhook.findUnique({ where: { id }, select: { secret: true } });
      if (!current) return undefined;
      const row = await tx.webhook.update({
        where: { id },
        data: { secret, previousSecret: current.secret, previousSecretExpiresAt: graceUntil },
      });
      await audit(tx, actor, 'webhook.rotate-secret', id, { previousSecretExpiresAt: graceUntil.toISOString() });
      return view(row);
    }, undefined, [secret]);
  }

  /**
   * Enqueues a test delivery (no alert event; its body is `payload`) through the same outbox the dispatcher drains,
   * and wakes the dispatchers on commit. Returns the delivery id, or undefined for an unknown webhook.
   */
  async enqueueTest(id: number, eventType: string, payload: Prisma.InputJsonObject, actor: string): Promise<string | undefined> {
    return this.write(async (tx) => {
      if (!(await tx.webhook.findUnique({ where: { id }, select: { id: true } }))) return undefined;
      const delivery = await tx.webhookDelivery.create({ data: { webhookId: id, eventType, payload } });
      await audit(tx, actor, 'webhook.test', id, { deliveryId: delivery.id.toString() });
      await tx.$queryRaw`select pg_notify(${WEBHOOK_DELIVERY_CHANNEL}, '')::text`;
      return delivery.id.toString();
    });
  }

  /** The webhook's deliveries, newest first, before the delivery id `before` (keyset), or undefined for an unknown webhook. */
  async deliveries(id: number, options: { before?: string; limit: number }): Promise<DeliveryView[] | undefined> {
    if (!(await this.prisma.webhook.findUnique({ where: { id }, select: { id: true } }))) return undefined;
    const rows = await this.prisma.webhookDelivery.findMany({
      where: { webhookId: id, ...(options.before ? { id: { lt: BigInt(options.before) } } : {}) },
      orderBy: { id: 'desc' },
      take: options.limit,
      include: { attemptLog: { orderBy: { id: 'asc' } } },
    });
    return rows.map((d) => ({
      id: d.id.toString(),
      eventId: d.alertEventId?.toString() ?? `test-${d.id}`,
      eventType: d.eventType,
      status: d.status,
      attempts: d.attempts,
      lastStatus: d.lastStatus,
      lastError: d.lastError,
      createdAt: d.createdAt,
      deliveredAt: d.deliveredAt,
      nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt : null,
      attemptLog: d.attemptLog.map((a) => ({ attempt: a.attempt, at: a.at, status: a.status, latencyMs: a.latencyMs, error: a.error })),
    }));
  }

  /** Runs `work` in one transaction; a unique violation becomes WebhookNameTakenError; `secrets` never reach an error message. */
  private async write<T>(work: (tx: Tx) => Promise<T>, name?: string, secrets: readonly string[] = []): Promise<T> {
    try {
      return await this.prisma.$transaction(work);
    } catch (error) {
      if (name !== undefined && error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
        throw new WebhookNameTakenError(name);
      }
      if (error instanceof Error) {
        for (const secret of secrets) {
          error.message = error.message.replaceAll(secret, '[secret]');
          if (error.stack) error.stack = error.stack.replaceAll(secret, '[secret]');
        }
      }
      throw error;
    }
  }
}

async function audit(tx: Tx, actor: string, action: string, id: number, details: Prisma.InputJsonObject): Promise<void> {
  await tx.auditLog.create({ data: { action, actor, targetType: 'webhook', targetId: String(id), details } });
}

/** What an audit row says of a change: every field but the secret. */
function describe(input: WebhookChanges & { secret?: string }): Prisma.InputJsonObject {
  const { secret: _secret, ...rest } = input;
  return JSON.parse(JSON.stringify(rest)) as Prisma.InputJsonObject;
}

function view(row: Webhook): WebhookView {
  const graceRunning = row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > new Date();
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    enabled: row.enabled,
    disabledReason: row.disabledReason,
    namespaces: row.namespaces,
    minSeverity: row.minSeverity,
    eventTypes: row.eventTypes,
    previousSecretExpiresAt: graceRunning ? row.previousSecretExpiresAt : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
