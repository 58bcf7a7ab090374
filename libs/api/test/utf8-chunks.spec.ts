import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, Utf8Chunks } from '../src/http/utf8-chunks.js';

describe('Utf8Chunks', () => {
  /** A receiver that keeps a copy of each chunk and gives it back at once or later, as told. */
  function receiver(options: { accept?: (n: number) => boolean; late?: boolean } = {}) {
    const copies: Buffer[] = [];
    const handed: Buffer[] = [];
    const pending: (() => void)[] = [];
    const out = new Utf8Chunks((chunk, done) => {
      copies.push(Buffer.from(chunk));
      handed.push(chunk);
      if (options.late) pending.push(done);
      else done();
      return options.accept?.(copies.length) ?? true;
    });
    return { out, copies, handed, pending, text: () => Buffer.concat(copies).toString('utf8') };
  }

  it('writes any sequence of texts and lines as their UTF-8, in chunks no larger than CHUNK_BYTES (property)', () => {
    const piece = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary-ascii', minLength: 20_000, maxLength: 30_000 }),
      fc.string({ unit: 'grapheme', minLength: 15_000, maxLength: 25_000 }),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(piece, fc.boolean()), { maxLength: 30 }), (pieces) => {
        const { out, copies, text } = receiver();
        let expected = '';
        for (const [t, line] of pieces) {
          if (line) out.putLine(t);
          else out.put(t);
          expected += line ? `${t}\n` : t;
        }
        out.flush();
        expect(text()).toBe(expected);
        for (const copy of copies) expect(copy.length).toBeLessThanOrEqual(Math.max(CHUNK_BYTES, ...pieces.map(([t]) => Buffer.byteLength(t))));
      }),
      { numRuns: 25 },
    );
  });

  it('writes nothing until a chunk is full or flushed, and a flush of nothing writes nothing', () => {
    const { out, copies } = receiver();
    out.put('abc');
    expect(copies).toHaveLength(0);
    expect(out.flush()).toBe(true);
    expect(out.flush()).toBe(true);
    expect(copies.map(String)).toEqual(['abc']);
  });

  it("reports the receiver's wish to pause at the next flush, then forgets it", () => {
    const { out } = receiver({ accept: (n) => n !== 2 });
    for (let i = 0; i < 3; i++) out.put('x'.repeat(CHUNK_BYTES / 3));
    expect(out.flush()).toBe(false); // the second chunk was refused
    out.put('y');
    expect(out.flush()).toBe(true);
  });

  it('fills a chunk again only after the receiver is done with it', () => {
    const { out, handed, pending, copies } = receiver({ late: true });
    const block = 'z'.repeat(CHUNK_BYTES / 4);
    for (let i = 0; i < 12; i++) out.put(block);
    out.flush();
    // nothing given back yet: every chunk handed over is a different buffer, and each still holds what it was given
    expect(new Set(handed.map((chunk) => chunk.buffer)).size).toBe(handed.length);
    handed.forEach((chunk, i) => expect(chunk.equals(copies[i] as Buffer)).toBe(true));
    for (const done of pending.splice(0)) done();
    const before = handed.length;
    for (let i = 0; i < 8; i++) out.put('w'.repeat(CHUNK_BYTES / 4));
    out.flush();
    const reused = handed.slice(before).filter((chunk) => handed.slice(0, before).some((old) => old.buffer === chunk.buffer));
    expect(reused.length).toBeGreaterThan(0);
  });
});
