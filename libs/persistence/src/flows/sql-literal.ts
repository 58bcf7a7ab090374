import type { Fragment } from './flow-filter.sql.js';

/**
 * The SQL text of a postgres.js fragment with its parameters written as literals, for the one statement that
 * cannot take parameters: `COPY (SELECT …) TO STDOUT` (PostgreSQL accepts no bind parameters in a utility
 * statement, and postgres.js runs a COPY through the simple protocol). Every value is written as an escape string
 * (`E'…'`, backslashes and quotes doubled), so the result does not depend on `standard_conforming_strings`; a text
 * holding a NUL character is refused (PostgreSQL's text cannot hold one either). Arrays (`sql.array`) become
 * array literals, identifiers (`sql('name')`) keep postgres.js's quoting, nested fragments are inlined. Anything
 * else (postgres.js's helpers that build lists or assignments from objects) is refused with an error, never
 * guessed at.
 *
 * postgres.js documents no way to read a query's text and parameters; this reads the `strings` and `args` every
 * tagged query keeps (see `libs/persistence/test/flow-export-copy.spec.ts`, which runs inlined and parameterized statements side by side and
 * fails when postgres.js changes them).
 */
export function inlineSql(fragment: Fragment): string {
  const query = fragment as unknown as QueryParts;
  if (!Array.isArray(query.strings) || !Array.isArray(query.args)) throw new Error('inlineSql: not a postgres.js query fragment');
  let text = query.strings[0] ?? '';
  for (let i = 1; i < query.strings.length; i++) text += inlineValue(query.args[i - 1]) + query.strings[i];
  return text;
}

interface QueryParts {
  readonly strings: readonly string[];
  readonly args: readonly unknown[];
}

function isQuery(value: object): value is QueryParts {
  return Array.isArray((value as Partial<QueryParts>).strings) && Array.isArray((value as Partial<QueryParts>).args);
}

/** A literal (or inlined SQL) for one argument of a tagged query. */
function inlineValue(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return stringLiteral(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error(`inlineSql: ${value} has no SQL literal`);
      return String(value);
    case 'bigint':
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      throw new Error(`inlineSql: a ${typeof value} has no SQL literal`);
  }
  if (value instanceof Date) return stringLiteral(value.toISOString());
  if (isQuery(value)) return inlineSql(value as unknown as Fragment);
  if (Array.isArray(value)) {
    // a list of fragments (postgres.js joins them with spaces)
    if (value.every((part) => typeof part === 'object' && part !== null && isQuery(part))) return value.map((part) => inlineSql(part as unknown as Fragment)).join(' ');
    throw new Error('inlineSql: a bare array argument (use sql.array)');
  }
  const parts = value as Record<string, unknown>;
  if ('first' in parts && 'rest' in parts) throw new Error('inlineSql: postgres.js builders (sql(object), sql(list)) are not supported');
  if ('array' in parts && 'type' in parts && 'value' in parts) {
    // sql.array(values, type): the cast that follows in the statement gives the element type
    if (!Array.isArray(parts['value'])) throw new Error('inlineSql: sql.array without an array');
    return stringLiteral(`{${(parts['value'] as unknown[]).map(arrayElement).join(',')}}`);
  }
  if ('value' in parts && typeof parts['value'] === 'string' && Object.keys(parts).length === 1) return parts['value']; // sql('identifier'), already quoted
  throw new Error('inlineSql: an argument of unknown kind');
}

/** One element of an array literal: NULL, or a double-quoted text with `\` and `"` escaped by a backslash. */
function arrayElement(element: unknown): string {
  if (element === null || element === undefined) return 'NULL';
  if (typeof element === 'number' || typeof element === 'bigint') return String(element);
  if (typeof element !== 'string') throw new Error(`inlineSql: an array element of type ${typeof element}`);
  return `"${element.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `E'…'` with backslashes and single quotes doubled. */
function stringLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('inlineSql: a text holding a NUL character');
  return `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}
