/** How failed deliveries are retried. */
export interface RetryPolicy {
  /** First retry ceiling; the ceiling doubles per attempt. */
  readonly baseMs: number;
  /** Largest ceiling. */
  readonly maxMs: number;
  /** Past this age (from the delivery's creation) a delivery is not retried again: it is dead. */
  readonly giveUpAfterMs: number;
}

/** 10 s doubling up to 1 h, for 24 h. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { baseMs: 10_000, maxMs: 3_600_000, giveUpAfterMs: 24 * 3_600_000 };

/**
 * When to try again after attempt number `attempt` (1 = the first) failed: exponential backoff with full jitter,
 * a delay drawn uniformly from [0, min(maxMs, baseMs · 2^(attempt-1))], so receivers that come back are not hit by
 * every dispatcher at once. (The shared `Backoff` of libs/common is equal jitter and lives in memory; delivery
 * retries are persisted per row, so the schedule is a pure function of the attempt number.) Returns undefined when
 * the next attempt would fall past `giveUpAfterMs` from `createdAt`: the delivery is dead.
 */
export function nextAttemptAt(
  attempt: number,
  createdAt: Date,
  now: Date,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): Date | undefined {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, Math.min(attempt - 1, 40)));
  const at = new Date(now.getTime() + Math.floor(random() * ceiling));
  return at.getTime() - createdAt.getTime() > policy.giveUpAfterMs ? undefined : at;
}
