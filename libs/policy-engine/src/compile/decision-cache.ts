/** Counters of a snapshot's decision cache. */
export interface CacheStats {
  readonly entries: number;
  readonly hits: number;
  readonly misses: number;
}

const INITIAL_CAPACITY = 1 << 12;
/** Ints per slot: source identity + 1 (0 marks an empty slot), destination identity, port × 4 + protocol, value. */
const SLOT = 4;

/**
 * Decisions of one revision by (source identity, destination identity, port, protocol); the revision is implicit,
 * since each snapshot owns its cache. An open-addressing hash table in one Int32Array: a lookup hashes three small
 * integers and reads one slot (16 bytes), with no strings, no allocation and no Map. Values are indexes into the
 * snapshot's table of distinct decision cores, which stays small and hot. When `limit` entries are reached the
 * table starts over: memory stays bounded in long-running processes.
 */
export class DecisionCache {
  private slots = new Int32Array(INITIAL_CAPACITY * SLOT);
  private mask = INITIAL_CAPACITY - 1;
  private entries = 0;
  private hits = 0;
  private misses = 0;

  constructor(private readonly limit: number) {}

  /** The cached value, or -1. `portProtocol` is port × 4 + protocol index. */
  get(source: number, destination: number, portProtocol: number): number {
    const slots = this.slots;
    const marker = source + 1;
    let i = hash(source, destination, portProtocol) & this.mask;
    for (;;) {
      const at = i * SLOT;
      const found = slots[at] as number;
      if (found === 0) break;
      if (found === marker && slots[at + 1] === destination && slots[at + 2] === portProtocol) {
        this.hits++;
        return slots[at + 3] as number;
      }
      i = (i + 1) & this.mask;
    }
    this.misses++;
    return -1;
  }

  set(source: number, destination: number, portProtocol: number, value: number): void {
    if (this.entries >= this.limit) {
      this.reset(INITIAL_CAPACITY);
      this.entries = 0;
    } else if ((this.entries + 1) * 2 > this.mask + 1) this.grow();
    this.insert(source + 1, destination, portProtocol, value);
    this.entries++;
  }

  stats(): CacheStats {
    return { entries: this.entries, hits: this.hits, misses: this.misses };
  }

  private insert(marker: number, destination: number, portProtocol: number, value: number): void {
    const slots = this.slots;
    let i = hash(marker - 1, destination, portProtocol) & this.mask;
    for (;;) {
      const at = i * SLOT;
      if (slots[at] === 0 || (slots[at] === marker && slots[at + 1] === destination && slots[at + 2] === portProtocol)) {
        slots[at] = marker;
        slots[at + 1] = destination;
        slots[at + 2] = portProtocol;
        slots[at + 3] = value;
        return;
      }
      i = (i + 1) & this.mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.reset((this.mask + 1) * 2);
    for (let at = 0; at < old.length; at += SLOT) {
      if (old[at] !== 0) this.insert(old[at] as number, old[at + 1] as number, old[at + 2] as number, old[at + 3] as number);
    }
  }

  private reset(capacity: number): void {
    this.slots = new Int32Array(capacity * SLOT);
    this.mask = capacity - 1;
  }
}

function hash(a: number, b: number, c: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77) ^ Math.imul(c, 0xc2b2ae3d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return h ^ (h >>> 13);
}
