/**
 * A stable 64-bit string hash for dedupe ids: two independently seeded 32-bit multiply-xorshift lanes over
 * the UTF-16 code units, finalised with avalanche mixing. Not cryptographic; collisions among a few million
 * keys are vanishingly unlikely (about n² / 2^65). Pure and allocation-free apart from the result text.
 */
export function stableHash64(text: string): string {
  let h1 = 0x9e3779b9 ^ text.length;
  let h2 = 0x85ebca6b ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 = Math.imul(h1 ^ (h1 >>> 13), 0xc2b2ae35);
  h1 ^= h1 >>> 16;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0x27d4eb2f);
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x165667b1);
  h2 ^= h2 >>> 16;
  h1 = (h1 ^ Math.imul(h2, 0x9e3779b1)) >>> 0;
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}
