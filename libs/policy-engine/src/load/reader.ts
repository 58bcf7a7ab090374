import type { Note, NoteCode, Problem, ProblemCode } from '../problems.js';
import type { Labels } from '../model.js';
import { checkLabelKey, checkLabelValue } from './names.js';

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own property of a parsed JSON/YAML object (never one inherited from Object.prototype). */
export function get(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

export function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

/**
 * Reads one manifest object, collecting problems and notes with their field paths. Decoders keep going after a
 * problem so that one pass reports everything wrong with the object; the caller then drops the whole object.
 */
export class ObjectReader {
  readonly problems: Problem[] = [];
  readonly notes: Note[] = [];

  /** `prefix` locates the object inside its document, for example `items[3]` for an item of a List. */
  constructor(
    readonly file: string,
    readonly document: number,
    readonly prefix = '',
  ) {}

  problem(path: string, code: ProblemCode, message: string): void {
    const at = this.locate(path);
    if (this.problems.some((p) => p.path === at && p.code === code)) return;
    this.problems.push({ file: this.file, document: this.document, path: at, code, message });
  }

  note(path: string, code: NoteCode, message: string): void {
    this.notes.push({ file: this.file, document: this.document, path: this.locate(path), code, message });
  }

  private locate(path: string): string {
    if (this.prefix === '') return path;
    return path === '' ? this.prefix : `${this.prefix}.${path}`;
  }

  /** An optional object field: undefined when absent or null, and when of the wrong type (after a problem). */
  object(value: unknown, path: string): JsonObject | undefined {
    if (value === undefined || value === null) return undefined;
    if (isObject(value)) return value;
    this.problem(path, 'invalid_type', `must be an object, got ${describe(value)}`);
    return undefined;
  }

  requiredObject(value: unknown, path: string, hint = ''): JsonObject | undefined {
    if (value === undefined || value === null) {
      this.problem(path, 'missing_field', `is required${hint}`);
      return undefined;
    }
    return this.object(value, path);
  }

  /** An optional list field: [] when absent or null. */
  list(value: unknown, path: string): readonly unknown[] {
    if (value === undefined || value === null) return [];
    if (Array.isArray(value)) return value;
    this.problem(path, 'invalid_type', `must be a list, got ${describe(value)}`);
    return [];
  }

  string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'string') return value;
    this.problem(path, 'invalid_type', `must be a string, got ${describe(value)}`);
    return undefined;
  }

  requiredString(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null || value === '') {
      this.problem(path, 'missing_field', 'is required');
      return undefined;
    }
    return this.string(value, path);
  }

  /** Reports fields the API server would reject as unknown (typos such as `podselector`). */
  knownFields(object: JsonObject, path: string, known: readonly string[]): void {
    for (const key of Object.keys(object)) {
      if (!known.includes(key)) {
        this.problem(child(path, key), 'unknown_field', `unknown field "${key}"; expected one of ${known.join(', ')}`);
      }
    }
  }

  /** A `metadata.labels` or `matchLabels` map: string keys and values with valid syntax. */
  labels(value: unknown, path: string): Labels {
    const object = this.object(value, path);
    if (!object) return {};
    const labels: Record<string, string> = {};
    for (const [key, raw] of Object.entries(object)) {
      const at = child(path, key);
      const keyProblem = checkLabelKey(key);
      if (keyProblem) {
        this.problem(at, 'invalid_label_key', `label key "${key}" ${keyProblem}`);
        continue;
      }
      if (typeof raw !== 'string') {
        const hint = typeof raw === 'number' || typeof raw === 'boolean' ? ` (quote it: "${String(raw)}")` : '';
        this.problem(at, 'invalid_type', `label value must be a string, got ${describe(raw)}${hint}`);
        continue;
      }
      const valueProblem = checkLabelValue(raw);
      if (valueProblem) this.problem(at, 'invalid_label_value', `label value "${raw}" ${valueProblem}`);
      labels[key] = raw;
    }
    return labels;
  }
}
