import { Backoff, delay, type Logger, silentLogger } from '@driftwatch/common';
import { WebhookDeliveryQueue, type AttemptOutcome, type ClaimedDelivery } from '@driftwatch/persistence';
import { DEFAULT_RETRY_POLICY, nextAttemptAt, type RetryPolicy } from './retry-schedule.js';
import { signatureHeader, webhookBody } from './webhook-signature.js';
import { WebhookSender, type SendResult } from './webhook-sender.js';

export interface WebhookDispatcherOptions {
  readonly databaseUrl: string;
  /** Driftwatch's version, sent as `User-Agent: Driftwatch/<version>`. */
  readonly version: string;
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: allow loopback, link-local, private and unique-local destinations. */
  readonly allowPrivateNetworks: boolean;
  /** Deliveries in flight at once in this process (default 64). */
  readonly concurrency?: number;
  /** Deliveries of one webhook in flight at once in this process (default 8): a slow receiver holds no more. */
  readonly perWebhook?: number;
  /** Timeout of one POST (default 10 s). */
  readonly timeoutMs?: number;
  /** How often due retries are looked for when no NOTIFY wakes the dispatcher (default 1 s). */
  readonly pollMs?: number;
  readonly retry?: RetryPolicy;
  readonly logger?: Logger;
  /** Told what each attempt led to (metrics): `delivered`, `retry`, `failed` (given up) or `gone` (410). */
  readonly onAttempt?: (outcome: AttemptOutcome['kind']) => void;
}

/**
 * Drains the webhook outbox: claims due deliveries (several dispatchers may share one database: a delivery is
 * claimed by one at a time), POSTs each signed body, and records every attempt. 2xx: delivered; 410: the webhook
 * is disabled; anything else (or no answer): retried with full-jitter exponential backoff until the retry policy
 * gives up (24 h by default), then the delivery is `failed`. Never throws after start: database errors are logged
 * once and retried with backoff.
 */
export class WebhookDispatcher {
  private readonly concurrency: number;
  private readonly perWebhook: number;
  private readonly timeoutMs: number;
  private readonly pollMs: number;
  private readonly retry: RetryPolicy;
  private readonly log: Logger;
  private readonly sender: WebhookSender;
  /** Per webhook: deliveries claimed and not yet finished (waiting here or being sent). */
  private readonly held = new Map<number, number>();
  /** Per webhook: deliveries being sent. */
  private readonly sending = new Map<number, number>();
  /** Per webhook: claimed deliveries waiting for a sending slot. */
  private readonly waiting = new Map<number, ClaimedDelivery[]>();
  private sendingTotal = 0;
  private heldTotal = 0;
  private readonly running = new Set<Promise<void>>();
  private stopped = false;
  private wakeUp: AbortController = new AbortController();
  private loop: Promise<void> | undefined;
  private listener: { unlisten(): Promise<void> } | undefined;

  private constructor(
    private readonly queue: WebhookDeliveryQueue,
    private readonly options: WebhookDispatcherOptions,
  ) {
    this.concurrency = options.concurrency ?? 64;
    this.perWebhook = options.perWebhook ?? 8;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.retry = options.retry ?? DEFAULT_RETRY_POLICY;
    this.log = options.logger ?? silentLogger;
    this.sender = new WebhookSender({ allowPrivateNetworks: options.allowPrivateNetworks, timeoutMs: this.timeoutMs });
  }

  /** Opens the dispatcher's own database pool, listens for new deliveries and starts draining. */
  static async start(options: WebhookDispatcherOptions): Promise<WebhookDispatcher> {
    const queue = await WebhookDeliveryQueue.open(options.databaseUrl);
    const dispatcher = new WebhookDispatcher(queue, options);
    try {
      dispatcher.listener = await queue.listen(() => dispatcher.wake());
    } catch (error) {
      await queue.close();
      throw error;
    }
    dispatcher.loop = dispatcher.run();
    return dispatcher;
  }

  /** Stops claiming, waits for the attempts in flight (each bounded by the timeout), and closes the pool. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.loop;
    const unsent = [...this.waiting.values()].flat();
    this.waiting.clear();
    if (unsent.length > 0) await this.queue.release(unsent).catch(() => undefined);
    await Promise.allSettled([...this.running]);
    await this.listener?.unlisten().catch(() => undefined);
    this.sender.close();
    await this.queue.close();
  }

  private wake(): void {
    this.wakeUp.abort();
  }

  /**
   * Claims run ahead of sending: up to PREFETCH × perWebhook deliveries of a webhook are claimed at once (fewer
   * round trips per delivery), of which perWebhook are sent at a time.
   */
  private get maxHeld(): number {
    return this.concurrency * PREFETCH;
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(500, 30_000);
    let failing = false;
    while (!this.stopped) {
      this.wakeUp = new AbortController();
      const room = this.maxHeld - this.heldTotal;
      let claimed: ClaimedDelivery[] = [];
      if (room > 0) {
        try {
          claimed = await this.queue.claim({
            limit: room,
            perWebhook: this.perWebhook * PREFETCH,
            inFlight: this.held,
            leaseMs: this.timeoutMs * (PREFETCH + 1) + 30_000,
          });
          if (failing) this.log.log('webhooks: the database answers again; delivering');
          failing = false;
          backoff.reset();
        } catch (error) {
          if (!failing) this.log.error(`webhooks: cannot claim deliveries: ${(error as Error).message}; retrying`);
          failing = true;
          await delay(backoff.next(), this.wakeUp.signal);
          continue;
        }
      }
      for (const delivery of claimed) {
        add(this.held, delivery.webhookId, 1);
        this.heldTotal += 1;
        const queue = this.waiting.get(delivery.webhookId) ?? [];
        queue.push(delivery);
        this.waiting.set(delivery.webhookId, queue);
      }
      this.pump();
      if (claimed.length > 0 && claimed.length === room) continue;
      await delay(this.pollMs, this.wakeUp.signal); // stop() wakes it too
    }
  }

  /** Starts waiting deliveries while their webhook has a free sending slot (perWebhook) and the process too (concurrency). */
  private pump(): void {
    for (const [webhookId, queue] of this.waiting) {
      while (queue.length > 0 && (this.sending.get(webhookId) ?? 0) < this.perWebhook && this.sendingTotal < this.concurrency) {
        this.launch(queue.shift()!);
      }
      if (queue.length === 0) this.waiting.delete(webhookId);
    }
  }

  private launch(delivery: ClaimedDelivery): void {
    const webhookId = delivery.webhookId;
    add(this.sending, webhookId, 1);
    this.sendingTotal += 1;
    const task = this.deliver(delivery).finally(() => {
      add(this.sending, webhookId, -1);
      add(this.held, webhookId, -1);
      this.sendingTotal -= 1;
      this.heldTotal -= 1;
      this.running.delete(task);
      if (!this.stopped) this.pump();
      // claim again when this webhook's claimed deliveries run low, or the process's
      if ((this.held.get(webhookId) ?? 0) <= this.perWebhook || this.heldTotal <= this.maxHeld / 2) this.wake();
    });
    this.running.add(task);
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const body = webhookBody({ id: delivery.eventId, type: delivery.eventType, createdAt: delivery.eventCreatedAt.toISOString(), alert: delivery.alert });
    const secrets = delivery.previousSecret ? [delivery.secret, delivery.previousSecret] : [delivery.secret];
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': `Driftwatch/${this.options.version}`,
      'X-Driftwatch-Event': delivery.eventType,
      'X-Driftwatch-Delivery': delivery.id,
      'X-Driftwatch-Signature': signatureHeader(body, secrets, Date.now() / 1000),
    };
    const result = await this.sender.post(delivery.url, headers, body);
    const outcome = this.outcomeOf(delivery, result);
    this.options.onAttempt?.(outcome.kind);
    this.report(delivery, result, outcome);
    try {
      await this.queue.record({ delivery, status: result.status, latencyMs: result.latencyMs, error: errorOf(result), outcome });
    } catch (error) {
      this.log.error(`webhooks: cannot record attempt ${delivery.attempt} of delivery ${delivery.id}: ${(error as Error).message}`);
    }
  }

  private outcomeOf(delivery: ClaimedDelivery, result: SendResult): AttemptOutcome {
    if (result.status !== null && result.status >= 200 && result.status < 300) return { kind: 'delivered' };
    if (result.status === 410) return { kind: 'gone' };
    const next = nextAttemptAt(delivery.attempt, delivery.createdAt, new Date(), this.retry);
    return next ? { kind: 'retry', nextAttemptAt: next } : { kind: 'failed' };
  }

  private report(delivery: ClaimedDelivery, result: SendResult, outcome: AttemptOutcome): void {
    const what = `webhook ${delivery.webhookId} delivery ${delivery.id} attempt ${delivery.attempt}`;
    if (outcome.kind === 'gone') this.log.warn(`webhooks: ${what}: the receiver answered 410 Gone; webhook ${delivery.webhookId} disabled`);
    else if (outcome.kind === 'failed') this.log.warn(`webhooks: ${what}: ${errorOf(result) ?? 'failed'}; giving up (retries exhausted)`);
    else if (outcome.kind === 'retry') this.log.debug(`webhooks: ${what}: ${errorOf(result) ?? 'failed'}; retrying at ${outcome.nextAttemptAt.toISOString()}`);
  }
}

/** How many times perWebhook a dispatcher claims of one webhook ahead of sending. */
const PREFETCH = 4;

function add(counts: Map<number, number>, key: number, n: number): void {
  const value = (counts.get(key) ?? 0) + n;
  if (value > 0) counts.set(key, value);
  else counts.delete(key);
}

function errorOf(result: SendResult): string | null {
  if (result.error) return result.error;
  if (result.status !== null && (result.status < 200 || result.status >= 300)) return `HTTP ${result.status}`;
  return null;
}
