/**
 * Type-checked readers for untrusted decoded messages. Each one accepts the encodings our sources use for a
 * field (JSON, protojson, @grpc/proto-loader objects with `longs: String`, `enums: String`) and throws a
 * {@link FieldError} otherwise. The normalizers catch it at their boundary and return an error result, so
 * nothing here ever escapes to a caller. `null` means absent (proto-loader with `defaults: true`).
 * A field's path is given as (`path`, `sub`) and only joined when reporting an error, so the hot path
 * allocates no path strings.
 */
import { errorResult, type ErrorResult, type NormalizeErrorCode } from './normalize-result.js';

/** A decoded message object. */
export type Rec = Record<string, unknown>;

/** Internal signal for a bad field; converted to an {@link ErrorResult} by {@link toErrorResult}. */
export class FieldError extends Error {
  constructor(
    readonly code: NormalizeErrorCode,
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 40))}` : `a ${typeof value}`;
}

/** Joins a field path only when it is needed for a message. */
export function joinPath(path: string, sub: string | undefined): string {
  return sub === undefined ? path : sub.startsWith('[') ? path + sub : `${path}.${sub}`;
}

function invalid(path: string, sub: string | undefined, expected: string, value: unknown): FieldError {
  const full = joinPath(path, sub);
  return new FieldError('invalid_field', full, `${full} must be ${expected}, got ${describe(value)}`);
}

/** True for a plain object (not an array, not null). */
export function isRec(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An optional nested message. */
export function optRec(value: unknown, path: string, sub?: string): Rec | undefined {
  if (value === undefined || value === null) return undefined;
  if (isRec(value)) return value;
  throw invalid(path, sub, 'an object', value);
}

/** An optional string. */
export function optStr(value: unknown, path: string, sub?: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  throw invalid(path, sub, 'a string', value);
}

/** An optional string where the empty string means absent (proto3 default). */
export function optNonEmptyStr(value: unknown, path: string, sub?: string): string | undefined {
  const s = optStr(value, path, sub);
  return s === '' ? undefined : s;
}

/**
 * An optional integer: a JSON number, or a decimal string (64-bit integers in JSON and with `longs: String`).
 * Values beyond 2^53 lose precision; counts and counters are clamped afterwards (see storable.ts), so none is stored so.
 */
export function optInt(value: unknown, path: string, sub?: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const long = longValue(value);
  if (long !== undefined) return long;
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value;
    throw invalid(path, sub, 'an integer', value);
  }
  if (typeof value === 'string' && value !== '') {
    const n = Number(value);
    if (Number.isInteger(n)) return n;
  }
  throw invalid(path, sub, 'an integer', value);
}

/**
 * The number held by a protobufjs `Long` (`{low, high, unsigned}`: 64-bit integers decoded without conversion
 * to plain objects, as the fast gRPC path does), or undefined for anything else.
 */
export function longValue(value: unknown): number | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { low, high } = value as { low?: unknown; high?: unknown };
  if (typeof low !== 'number' || typeof high !== 'number') return undefined;
  return (value as { unsigned?: boolean }).unsigned ? (high >>> 0) * 4294967296 + (low >>> 0) : high * 4294967296 + (low >>> 0);
}

/** An optional port number (0–65535); 0 means absent (proto3 default). */
export function optPort(value: unknown, path: string, sub?: string): number | undefined {
  const n = optInt(value, path, sub);
  if (n === undefined || n === 0) return undefined;
  if (n < 0 || n > 65535) throw invalid(path, sub, 'a port number', value);
  return n;
}

/** An optional bool: a JSON boolean or a `google.protobuf.BoolValue` object (`{value}`; a missing value is false). */
export function optBool(value: unknown, path: string, sub?: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (isRec(value)) {
    const inner = value['value'];
    if (inner === undefined || inner === null) return false;
    if (typeof inner === 'boolean') return inner;
  }
  throw invalid(path, sub, 'a boolean', value);
}

/**
 * An optional enum: its name as given, or its number looked up in `names` (unknown numbers become their
 * decimal string, so new upstream values pass through). Numeric 0 means absent (proto3 default).
 */
export function optEnum(value: unknown, names: ReadonlyMap<number, string>, path: string, sub?: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (value === 0) return undefined;
    return names.get(value) ?? String(value);
  }
  throw invalid(path, sub, 'an enum name or number', value);
}

/** An optional list of strings; absent or empty gives `undefined`. */
export function optStrList(value: unknown, path: string, sub?: string): readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(path, sub, 'a list of strings', value);
  if (value.length === 0) return undefined;
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') throw invalid(sub === undefined ? path : `${path}.${sub}`, `[${i}]`, 'a string', value[i]);
  }
  return value as readonly string[];
}

/** An optional list of messages; absent or empty gives `undefined`. */
export function optRecList(value: unknown, path: string, sub?: string): readonly Rec[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(path, sub, 'a list of objects', value);
  if (value.length === 0) return undefined;
  for (let i = 0; i < value.length; i++) {
    if (!isRec(value[i])) throw invalid(sub === undefined ? path : `${path}.${sub}`, `[${i}]`, 'an object', value[i]);
  }
  return value as readonly Rec[];
}

/** Reads a field by its proto name, falling back to its lowerCamel JSON name. */
export function field(rec: Rec, protoName: string, jsonName: string): unknown {
  const v = rec[protoName];
  return v === undefined ? rec[jsonName] : v;
}

/** Converts what a normalizer caught into an error result; anything unexpected is reported, not rethrown. */
export function toErrorResult(error: unknown): ErrorResult {
  if (error instanceof FieldError) return errorResult(error.code, error.message, error.path);
  return errorResult('invalid_field', `unreadable message: ${error instanceof Error ? error.message : String(error)}`);
}

/** Builds a label map without a prototype, so keys such as `__proto__` are plain keys. */
export function newLabelMap(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}
