/**
 * Log lines about things input can repeat without limit (malformed messages, lost events, refused rows): per
 * key, the first `first` lines are written as they come; after that occurrences are only counted, and one
 * summary line per key is written per `intervalMs` (from {@link flush}, called once per batch).
 */
export class LogThrottle {
  private readonly keys = new Map<string, { written: number; held: number; heldLines: number; since: number; summary: (held: number, lines: number) => string }>();

  constructor(
    private readonly write: (line: string) => void,
    private readonly first = 5,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * One occurrence (standing for `amount` things) of `key`: written via `line()` while under the limit, else
   * counted for the next summary, which `summary(amount held, occurrences held)` words.
   */
  note(key: string, amount: number, line: () => string, summary: (held: number, lines: number) => string): void {
    let entry = this.keys.get(key);
    if (!entry) this.keys.set(key, (entry = { written: 0, held: 0, heldLines: 0, since: this.now(), summary }));
    if (entry.written < this.first) {
      entry.written += 1;
      this.write(entry.written === this.first ? `${line()}; further ones are counted and summed up every ${Math.round(this.intervalMs / 1000)} s` : line());
      return;
    }
    entry.held += amount;
    entry.heldLines += 1;
    entry.summary = summary;
  }

  /** Writes the summaries that are due (all of them with `force`). */
  flush(force = false): void {
    const now = this.now();
    for (const entry of this.keys.values()) {
      if (entry.heldLines === 0 || (!force && now - entry.since < this.intervalMs)) continue;
      this.write(entry.summary(entry.held, entry.heldLines));
      entry.held = 0;
      entry.heldLines = 0;
      entry.since = now;
    }
  }

  /** How many keys are tracked (bounded by the callers' keys: per source and code). */
  get size(): number {
    return this.keys.size;
  }
}

/** `a + b`, saturating at Number.MAX_SAFE_INTEGER (hostile counters must not turn into floats Postgres refuses). */
export function saturatingAdd(a: number, b: number): number {
  const sum = a + (Number.isFinite(b) && b > 0 ? b : 0);
  return sum > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : sum;
}

