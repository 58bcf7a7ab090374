import { randomBytes } from 'node:crypto';
import {
  Body,
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  createWebhookSchema, deliveriesQuerySchema, emptyBody, rotateSecretSchema, updateWebhookSchema, webhookId, type WebhookTestPayload,
} from '@driftwatch/contracts';
import { WebhookNameTakenError, WebhookRepository, type DeliveryView, type WebhookView } from '@driftwatch/persistence';
import { CurrentActor, RequireRole, type Actor } from '../auth/access.js';
import { webhookUrlProblem } from './webhook-url.js';
import { parseOr400 } from '../validation/zod.pipe.js';

/** DI token for the webhook settings of the API (from the configuration). */
export const WEBHOOK_SETTINGS = Symbol('WEBHOOK_SETTINGS');
export interface WebhookSettings {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS. */
  readonly allowPrivateNetworks: boolean;
}

/** A webhook with its new secret: shown once, at creation and at rotation. */
export type WebhookWithSecret = WebhookView & { readonly secret: string };

/** A new signing secret: 256 random bits. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

function idOf(text: string): number {
  if (!webhookId.safeParse(text).success) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no webhook ${JSON.stringify(text)}` });
  return Number(text);
}

function found<T>(value: T | undefined, id: number): T {
  if (value === undefined) throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no webhook ${id}` });
  return value;
}

async function unique<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof WebhookNameTakenError) throw new ConflictException({ statusCode: 409, error: 'Conflict', message: `name: ${error.message}` });
    throw error;
  }
}

/**
 * `/api/v1/webhooks`: alert receivers. Reads need a viewer key, changes an operator key; every change is audited
 * with the caller's key prefix. Secrets appear only in the answers to create and rotate-secret.
 */
@Controller('webhooks')
export class WebhooksController {
  private readonly createSchema;
  private readonly updateSchema;

  constructor(
    private readonly webhooks: WebhookRepository,
    @Inject(WEBHOOK_SETTINGS) settings: WebhookSettings,
  ) {
    const urlProblem = (url: string) => webhookUrlProblem(url, settings.allowPrivateNetworks);
    this.createSchema = createWebhookSchema(urlProblem);
    this.updateSchema = updateWebhookSchema(urlProblem);
  }

  @Post()
  @RequireRole('operator')
  async create(@Body() body: unknown, @CurrentActor() actor: Actor): Promise<WebhookWithSecret> {
    const input = parseOr400(this.createSchema, body);
    const secret = newSecret();
    const webhook = await unique(this.webhooks.create({ ...input, secret }, actor.prefix));
    return { ...webhook, secret };
  }

  @Get()
  async list(): Promise<WebhookView[]> {
    return this.webhooks.list();
  }

  @Get(':id')
  async get(@Param('id') id: string): Promise<WebhookView> {
    const n = idOf(id);
    return found(await this.webhooks.get(n), n);
  }

  @Patch(':id')
  @RequireRole('operator')
  async update(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor): Promise<WebhookView> {
    const n = idOf(id);
    const changes = parseOr400(this.updateSchema, body);
    return found(await unique(this.webhooks.update(n, changes, actor.prefix)), n);
  }

  @Delete(':id')
  @RequireRole('operator')
  @HttpCode(204)
  async remove(@Param('id') id: string, @CurrentActor() actor: Actor): Promise<void> {
    const n = idOf(id);
    if (!(await this.webhooks.remove(n, actor.prefix))) found(undefined, n);
  }

  /** A new secret, shown once; the old one keeps signing (a second `v1=`) for `graceSeconds` (default 24 h). */
  @Post(':id/rotate-secret')
  @RequireRole('operator')
  async rotateSecret(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor): Promise<WebhookWithSecret> {
    const n = idOf(id);
    const { graceSeconds } = parseOr400(rotateSecretSchema, body);
    const secret = newSecret();
    const webhook = found(await this.webhooks.rotateSecret(n, secret, new Date(Date.now() + graceSeconds * 1000), actor.prefix), n);
    return { ...webhook, secret };
  }

  @Get(':id/deliveries')
  async deliveries(@Param('id') id: string, @Query() query: unknown): Promise<DeliveryView[]> {
    const n = idOf(id);
    const { limit, before } = parseOr400(deliveriesQuerySchema, query);
    return found(await this.webhooks.deliveries(n, { limit, ...(before ? { before } : {}) }), n);
  }

  /** Enqueues a `webhook.test` event through the outbox; the dispatcher delivers it like any other. */
  @Post(':id/test')
  @RequireRole('operator')
  @HttpCode(202)
  async test(@Param('id') id: string, @Body() body: unknown, @CurrentActor() actor: Actor): Promise<{ deliveryId: string }> {
    const n = idOf(id);
    parseOr400(emptyBody, body);
    const webhook = found(await this.webhooks.get(n), n);
    if (!webhook.enabled) throw new ConflictException({ statusCode: 409, error: 'Conflict', message: `webhook ${n} is disabled; enable it first (PATCH {"enabled": true})` });
    const payload: WebhookTestPayload = { test: true, message: 'a test event from Driftwatch', webhookId: n, requestedBy: actor.prefix };
    const deliveryId = found(await this.webhooks.enqueueTest(n, 'webhook.test', payload, actor.prefix), n);
    return { deliveryId };
  }
}
