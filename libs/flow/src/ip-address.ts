/**
 * A strict, allocation-free check that a text is an IPv4 or IPv6 address as PostgreSQL's `inet` stores it:
 * dotted quads without leading zeros, IPv6 with at most one `::` and an optional dotted-quad tail, no zone.
 */

function isIpv4At(text: string, from: number, to: number): boolean {
  let parts = 0;
  let i = from;
  while (i <= to) {
    let value = 0;
    const start = i;
    while (i < to) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      value = value * 10 + c;
      i++;
    }
    const digits = i - start;
    if (digits === 0 || digits > 3 || value > 255 || (digits > 1 && text.charCodeAt(start) === 48)) return false;
    parts++;
    if (i === to) break;
    if (text.charCodeAt(i) !== 46 || parts === 4) return false;
    i++;
  }
  return parts === 4;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}

function isIpv6(text: string): boolean {
  const n = text.length;
  if (n < 2 || n > 45) return false;
  let groups = 0;
  let compressed = false;
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    compressed = true;
    i = 2;
    if (i === n) return true;
  }
  while (i < n) {
    const start = i;
    while (i < n && isHex(text.charCodeAt(i))) i++;
    const len = i - start;
    if (i < n && text.charCodeAt(i) === 46) {
      // a dotted-quad tail stands for two groups
      if (!isIpv4At(text, start, n)) return false;
      groups += 2;
      break;
    }
    if (len === 0 || len > 4) return false;
    groups++;
    if (i === n) break;
    if (text.charCodeAt(i) !== 58) return false;
    i++;
    if (i < n && text.charCodeAt(i) === 58) {
      if (compressed) return false;
      compressed = true;
      i++;
      if (i === n) break;
    } else if (i === n) {
      return false;
    }
  }
  return compressed ? groups < 8 : groups === 8;
}

/** True when `text` is an IPv4 or IPv6 address (no zone, no prefix). */
export function isIpAddress(text: string): boolean {
  return text.includes(':') ? isIpv6(text) : isIpv4At(text, 0, text.length);
}
