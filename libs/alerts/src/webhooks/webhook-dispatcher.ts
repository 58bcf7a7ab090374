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
  private readonly inFlight = new Map<number, number>();
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
    await Promise.allSettled([...this.running]);
    await this.listener?.unlisten().catch(() => undefined);
    this.sender.close();
    await this.queue.close();
  }

  private wake(): void {
    this.wakeUp.abort();
  }

  private inFlightTotal(): number {
    let total = 0;
    for (const n of this.inFlight.values()) total += n;
    return total;
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(500, 30_000);
    let failing = false;
    while (!this.stopped) {
      this.wakeUp = new AbortController();
      const free = this.concurrency - this.inFlightTotal();
      let claimed: ClaimedDelivery[] = [];
      if (free > 0) {
        try {
          claimed = await this.queue.claim({
            limit: free,
            perWebhook: this.perWebhook,
            inFlight: this.inFlight,
            leaseMs: this.timeoutMs * 2 + 30_000,
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
      for (const delivery of claimed) this.launch(delivery);
      if (claimed.length > 0 && claimed.length === free) continue;
      await delay(this.pollMs, this.wakeUp.signal); // stop() wakes it too
    }
  }

  private launch(delivery: ClaimedDelivery): void {
    this.inFlight.set(delivery.webhookId, (this.inFlight.get(delivery.webhookId) ?? 0) + 1);
    const task = this.deliver(delivery).finally(() => {
      const left = (this.inFlight.get(delivery.webhookId) ?? 1) - 1;
      if (left > 0) this.inFlight.set(delivery.webhookId, left);
      else this.inFlight.delete(delivery.webhookId);
      this.running.delete(task);
      this.wake();
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

function errorOf(result: SendResult): string | null {
  if (result.error) return result.error;
  if (result.status !== null && (result.status < 200 || result.status >= 300)) return `HTTP ${result.status}`;
  return null;
}
