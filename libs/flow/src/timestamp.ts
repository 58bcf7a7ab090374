/**
 * Timestamps as our sources send them: RFC 3339 strings with up to 9 fractional digits (protojson, Hubble
 * JSON), `google.protobuf.Timestamp` objects `{seconds, nanos}` (gRPC-decoded, seconds as a string with
 * `longs: String`), and Unix seconds (Calico). Parsed by hand: `Date.parse` misreads fractions longer than
 * 9 digits and is slower than this on the hot path.
 */
import { FieldError, isRec, joinPath, longValue } from './field-reader.js';

function digits(text: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Parses an RFC 3339 date-time (`2021-11-10T10:41:26.095336300Z`, `...+02:00`) into epoch milliseconds,
 * truncating below the millisecond. Returns `undefined` when the text is not one.
 */
export function parseRfc3339(text: string): number | undefined {
  if (text.length < 20) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  const sep = text.charCodeAt(10);
  if (
    year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
    minute > 59 || second < 0 || second > 60 || text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 ||
    (sep !== 84 && sep !== 116 && sep !== 32) || text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  let i = 19;
  let millis = 0;
  if (text.charCodeAt(i) === 46) {
    i++;
    const start = i;
    while (i < text.length) {
      const c = text.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      if (i - start < 3) millis = millis * 10 + c;
      i++;
    }
    const n = i - start;
    if (n === 0) return undefined;
    if (n === 1) millis *= 100;
    else if (n === 2) millis *= 10;
  }
  let offsetMinutes = 0;
  const zone = text.charCodeAt(i);
  if (zone === 90 || zone === 122) {
    i++;
  } else if ((zone === 43 || zone === 45) && text.charCodeAt(i + 3) === 58) {
    const oh = digits(text, i + 1, 2);
    const om = digits(text, i + 4, 2);
    if (oh < 0 || om < 0) return undefined;
    offsetMinutes = (zone === 43 ? 1 : -1) * (oh * 60 + om);
    i += 6;
  } else {
    return undefined;
  }
  if (i !== text.length) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

/**
 * Reads an optional timestamp field (an RFC 3339 string or a `{seconds, nanos}` object) as epoch
 * milliseconds. The caller keeps the string itself when it wants the original text. Throws
 * {@link FieldError} for anything else.
 */
export function optTimestampMs(value: unknown, path: string, sub?: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const ms = parseRfc3339(value);
    if (ms === undefined) {
      throw new FieldError('invalid_field', joinPath(path, sub), `${joinPath(path, sub)} must be an RFC 3339 time, got ${JSON.stringify(value.slice(0, 40))}`);
    }
    return ms;
  }
  if (isRec(value)) {
    const s = value['seconds'];
    const ns = value['nanos'];
    const seconds = typeof s === 'string' ? Number(s) : s === undefined || s === null ? 0 : (longValue(s) ?? s);
    const nanos = ns === undefined || ns === null ? 0 : ns;
    if (
      typeof seconds === 'number' && Number.isInteger(seconds) && typeof nanos === 'number' &&
      Number.isInteger(nanos) && nanos >= 0 && nanos < 1e9
    ) {
      return seconds * 1000 + Math.floor(nanos / 1e6);
    }
  }
  throw new FieldError('invalid_field', joinPath(path, sub), `${joinPath(path, sub)} must be an RFC 3339 string or {seconds, nanos}`);
}

/**
 * A canonical `seconds.nanoseconds` text of a timestamp, the same for the RFC 3339 and the `{seconds, nanos}`
 * form of one instant (used in derived dedupe ids). `undefined` when the value is neither.
 */
export function timestampKey(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const ms = parseRfc3339(value);
    if (ms === undefined) return undefined;
    let nanos = 0;
    if (value.charCodeAt(19) === 46) {
      for (let i = 20, n = 0; n < 9; i++, n++) {
        const c = value.charCodeAt(i) - 48;
        nanos = nanos * 10 + (c >= 0 && c <= 9 ? c : 0);
        if (c < 0 || c > 9) {
          for (n++; n < 9; n++) nanos *= 10;
          break;
        }
      }
    }
    return `${Math.floor(ms / 1000)}.${nanos}`;
  }
  if (isRec(value)) {
    const seconds = value['seconds'];
    return `${longValue(seconds) ?? Number(seconds ?? 0)}.${Number(value['nanos'] ?? 0)}`;
  }
  return undefined;
}
