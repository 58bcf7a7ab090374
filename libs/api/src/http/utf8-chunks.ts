/** The size of the chunks a {@link Utf8Chunks} hands over (64 KiB: a few TCP segments, well under a socket's buffer). */
export const CHUNK_BYTES = 64 * 1024;
/** Chunks kept for reuse: allocating a fresh one for every 64 KiB made the garbage collector run far more often. */
const MAX_SPARE = 32;

/**
 * Text encoded as UTF-8 straight into buffers of {@link CHUNK_BYTES}, each handed to `write` once full. Writing many
 * small strings this way costs a tenth of concatenating them and encoding the result: a concatenation is a rope
 * that has to be flattened (and, for `res.write`, measured with `Buffer.byteLength` and encoded again), which was
 * more than half of an export's time. A chunk handed over is not written to again until the receiver says it is done
 * with it (a stream keeps a reference to what it was given until its bytes are out); then it is filled anew.
 */
export class Utf8Chunks {
  /** Chunks written out and given back (`write`'s callback), ready to be filled again. */
  private readonly spare: Buffer[] = [];
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  /** false once `write` returned false (the receiver wants a pause); reset by {@link flush}. */
  private accepted = true;

  /**
   * `write` hands a chunk to the receiver and calls `done` once the chunk's bytes are no longer needed (written
   * out, or dropped with the connection); its result is false when the receiver wants a pause.
   */
  constructor(private readonly write: (chunk: Buffer, done: () => void) => boolean) {}

  /** Appends `text`. */
  put(text: string): void {
    // a UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair, 2 units, takes 4)
    const most = text.length * 3;
    if (most > CHUNK_BYTES - this.used) {
      this.handOver();
      if (most > CHUNK_BYTES) {
        this.accepted = this.write(Buffer.from(text, 'utf8'), () => undefined) && this.accepted;
        return;
      }
    }
    this.used += this.chunk.write(text, this.used, 'utf8');
  }

  /** Appends `text` and a line feed (without making a new string of the two). */
  putLine(text: string): void {
    this.put(text);
    if (this.used === CHUNK_BYTES) this.handOver();
    this.chunk[this.used++] = 0x0a;
  }

  /** Hands over what is buffered; false when any write since the last flush asked for a pause. */
  flush(): boolean {
    this.handOver();
    const accepted = this.accepted;
    this.accepted = true;
    return accepted;
  }

  private handOver(): void {
    if (this.used === 0) return;
    const whole = this.chunk;
    const full = whole.subarray(0, this.used);
    this.chunk = this.spare.pop() ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    this.accepted = this.write(full, () => this.giveBack(whole)) && this.accepted;
  }

  private giveBack(chunk: Buffer): void {
    if (this.spare.length < MAX_SPARE) this.spare.push(chunk);
  }
}
