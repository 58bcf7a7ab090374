import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import type { RateLimitCount, RateLimitRepository } from '@driftwatch/persistence';

/** How long a counted request waits for the database before it is counted in the process instead. */
const STATEMENT_WAIT_MS = 1000;
/** While the database cannot be reached, how often one request tries it again. */
const RETRY_MS = 5000;
/** How often expired rows are deleted. */
const SWEEP_MS = 60_000;

/**
 * The rate limit's storage: counts in Postgres (`RateLimitRepository`, one upsert per counted request), so every
 * API process on the database shares one count per key and window. When a count fails (the database cannot be
 * reached, or does not answer within a second), requests are counted in this process (the throttler's in-memory
 * storage) instead of failing: the outage is logged once, one request every 5 s tries the database again, and
 * the first that succeeds goes back to it (logged once too). Expired rows are deleted once a minute by a timer in
 * each process (a scan of a table as large as the keys and addresses of the last minute or so).
 */
export class SharedThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly log = new Logger('RateLimit');
  private readonly memory = new ThrottlerStorageService();
  /** Set while counting in the process: when to try the database again. */
  private retryAt: number | undefined;
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly counters: RateLimitRepository,
    private readonly now: () => number = Date.now,
  ) {
    // A failed sweep is the outage counting already reports (or a shutdown): nothing to add.
    this.sweep = setInterval(() => void this.counters.deleteExpired().catch(() => undefined), SWEEP_MS);
    this.sweep.unref();
  }

  /** Whether requests are being counted in this process because the database failed. */
  get degraded(): boolean {
    return this.retryAt !== undefined;
  }

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<RateLimitCount> {
    if (this.retryAt !== undefined && this.now() < this.retryAt) return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
    try {
      const counted = await withTimeout(this.counters.increment(key, ttl, limit, blockDuration), STATEMENT_WAIT_MS);
      if (this.retryAt !== undefined) {
        this.retryAt = undefined;
        this.log.log('rate limit counts are shared through the database again');
      }
      return counted;
    } catch (error) {
      if (this.retryAt === undefined) {
        this.log.warn(`rate limit counts fall back to this process (each API process counts on its own) until the database answers again: ${reason(error)}`);
      }
      this.retryAt = this.now() + RETRY_MS;
      return this.memory.increment(key, ttl, limit, blockDuration, throttlerName);
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweep);
    this.memory.onApplicationShutdown();
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message || error.constructor.name : String(error);
}

/** `promise`, or a rejection after `ms` (the statement itself is left to finish or fail on its own). */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
