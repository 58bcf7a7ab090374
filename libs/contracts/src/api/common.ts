/**
 * Pieces every REST contract shares: names, lists in query strings, times, and the error bodies every route
 * answers with (one shape for all 4xx, one more field for 400).
 */
import { z } from 'zod';

/** A Kubernetes namespace name (a DNS label). */
export const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A Kubernetes namespace name, as a request field. */
export const namespaceName = z.string().regex(NAMESPACE_NAME, 'must be a namespace name');

/**
 * A query parameter listing allowed values: `a,b,c`, or the parameter repeated (`?x=a&x=b`); parsed to a non-empty
 * array of members of `values` (an empty `?x=` is refused: it names no filter).
 */
export function listOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== ''))
    .pipe(z.array(z.enum(values, { error: `must be one of ${values.join(', ')}` })).min(1, `must name at least one of ${values.join(', ')}`))
    .meta({
      description: `one or more of ${values.join(', ')}, separated by commas or as a repeated parameter`,
      examples: [values.slice(0, 2).join(',')],
    });
}

/** An ISO 8601 time with an offset, as requests give it; parsed to a Date. */
export const isoDateTimeInput = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 date-time with a time zone (2026-01-31T12:00:00Z)' })
  .transform((s) => new Date(s));

/** A time as answers carry it: ISO 8601 in UTC (`2026-01-31T12:00:00.000Z`). */
export const isoTime = z.iso.datetime();

/** A decimal id of a bigint row (ids beyond 2^53 stay exact as text). */
export const decimalId = z.string().regex(/^\d{1,19}$/);

/** One problem of a request: the field path (`until`, `status.1`, `(root)` for the whole value) and what is wrong with it. */
export const fieldIssue = z.strictObject({
  path: z.string().meta({ description: 'the field, dot-separated (`status.1`); `(root)` for the body or value as a whole' }),
  message: z.string(),
});
export type FieldIssue = z.output<typeof fieldIssue>;

/** The body of every 4xx (and 5xx) answer but 400. */
export const errorBody = z
  .strictObject({
    statusCode: z.number().int().min(400).max(599),
    error: z.string().meta({ description: 'the HTTP status text (`Not Found`)' }),
    message: z.string().meta({ description: 'what is wrong, for people' }),
  })
  .meta({ id: 'Error', description: 'Every error answer: status, status text and a message.' });
export type ErrorBody = z.output<typeof errorBody>;

/** The body of every 400: the error shape plus one issue per bad field. */
export const validationErrorBody = z
  .strictObject({
    statusCode: z.literal(400),
    error: z.literal('Bad Request'),
    message: z.string().meta({ description: '`invalid request: <path>: <reason>; ...`' }),
    issues: z.array(fieldIssue),
  })
  .meta({ id: 'ValidationError', description: 'A request that does not fit its route: every bad field with the reason.' });
export type ValidationErrorBody = z.output<typeof validationErrorBody>;

/** A body that must be absent or `{}` (actions that take no input). */
export const emptyBody = z.strictObject({});
