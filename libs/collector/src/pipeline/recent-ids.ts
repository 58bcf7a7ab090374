/**
 * A bounded set of recently seen flow ids, oldest evicted first: deduplicates the overlap that a resumed
 * stream replays (Hubble `since`, Goldmane `start_time_gte`, Felix resends) without growing without bound.
 * A ring of ids beside the set says which is oldest, so eviction allocates nothing.
 */
export class RecentIds {
  private readonly ids = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Array<string | undefined>(capacity);
  }

  /** Adds `id`; returns false when it was already there (a duplicate). */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.ids.delete(oldest);
    this.ring[this.next] = id;
    this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
    this.ids.add(id);
    return true;
  }

  get size(): number {
    return this.ids.size;
  }
}
