import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions, InjectThrottlerStorage, ThrottlerGuard, type ThrottlerModuleOptions, type ThrottlerStorage,
} from '@nestjs/throttler';
import { routePolicy } from '../auth/access.js';
import { ApiKeyAuthenticator, bearerToken, type HttpRequest } from '../auth/api-key.authenticator.js';

/** Default of RATE_LIMIT_PER_MINUTE: a dashboard polling a dozen panels every few seconds stays well below it. */
export const DEFAULT_RATE_LIMIT_PER_MINUTE = 600;

/**
 * The per-key rate limit (@nestjs/throttler, one fixed window of a minute): requests are counted per API key (its
 * prefix; the admin token counts as one key) across every route, or per client address when the request carries
 * no valid key (public routes, and failed authentication: guessing keys is limited too). Runs before the API key
 * guard, so a key's requests are counted whatever they ask; the key is looked up once per request for both.
 * Routes marked `@NoRateLimit()` (health, metrics) and non-HTTP contexts are never counted. Counts are kept in
 * the database (`SharedThrottlerStorage`), so N replicas on one database share one budget per key; while the
 * database cannot be reached each process counts on its own.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {
    super(options, storage, reflector);
  }

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return !routePolicy(this.reflector, context.getHandler(), context.getClass()).rateLimited;
  }

  protected override async getTracker(request: Record<string, unknown>): Promise<string> {
    const http = request as unknown as HttpRequest;
    if (bearerToken(http.headers['authorization'])) {
      const actor = await this.authenticator.authenticateRequest(http).catch(() => undefined);
      if (actor) return `key:${actor.prefix}`;
    }
    return `ip:${await super.getTracker(request)}`;
  }

  /** One budget per tracker across all routes (the default would keep one per route). */
  protected override generateKey(_context: ExecutionContext, tracker: string, throttler: string): string {
    return `${throttler}:${tracker}`;
  }
}
