import fc from 'fast-check';
import { z } from 'zod';
import type { RouteContract } from '@driftwatch/contracts';

type JsonSchema = Record<string, unknown>;

/** One request the fuzzer sends to a route. */
export interface FuzzRequest {
  readonly key: 'admin' | 'viewer' | 'none';
  /** Path with its `{x}` replaced, already encoded (some on purpose badly). */
  readonly path: string;
  /** `?...` or empty; may hold malformed encodings on purpose. */
  readonly query: string;
  readonly body: { readonly text: string; readonly contentType: string | undefined } | undefined;
}

/** The JSON Schema of a request part, in input form (as the OpenAPI document has it). */
function inputSchema(schema: z.ZodType | undefined): JsonSchema | undefined {
  return schema ? (z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema) : undefined;
}

const oddStrings = fc.constantFrom(
  '', ' ', '0', '-1', '1e309', 'NaN', 'null', 'true', '[]', '{}', '*', '..', '../..', '%', '\u0000', 'é', '😀', '\u202e', '\ud800',
  '9'.repeat(40), 'a'.repeat(1000), "'; drop table alerts; --", '<script>', '2026-02-30T25:61:00Z', '-2026-01-01T00:00:00Z', '1970-01-01T00:00:00Z',
);

/** Anything a client could send in a JSON value, leaning to what breaks parsers and validators. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
  oddStrings,
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -0, 1e308, 2 ** 63, null, true, false),
  fc.jsonValue({ maxDepth: 3 }),
);

/** `arbitrary` once in `in` draws, undefined otherwise. */
const sometimes = <T>(arbitrary: fc.Arbitrary<T>, one: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ weight: one - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

/** A value shaped after `schema` most of the time (so requests often pass and reach the handler), junk otherwise. */
export function valueFor(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 3) return junk;
  return fc.oneof({ weight: 9, arbitrary: plausible(schema, depth) }, { weight: 1, arbitrary: junk });
}

function plausible(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(schema['examples']) && schema['examples'].length > 0) {
    return fc.oneof(fc.constantFrom(...(schema['examples'] as unknown[])), plausible({ ...schema, examples: undefined }, depth));
  }
  if (Array.isArray(schema['enum'])) return fc.constantFrom(...(schema['enum'] as unknown[]));
  if ('const' in schema) return fc.constant(schema['const']);
  if (Array.isArray(schema['anyOf'])) return fc.oneof(...(schema['anyOf'] as JsonSchema[]).map((s) => valueFor(s, depth + 1)));
  switch (schema['type']) {
    case 'string':
      return stringFor(schema);
    case 'integer':
    case 'number': {
      const min = typeof schema['minimum'] === 'number' ? schema['minimum'] : -1_000_000;
      const max = typeof schema['maximum'] === 'number' ? schema['maximum'] : 1_000_000;
      return fc.integer({ min: Math.max(Math.trunc(min) - 2, -(2 ** 31)), max: Math.min(Math.trunc(max) + 2, 2 ** 31) });
    }
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(valueFor(schema['items'] as JsonSchema | undefined, depth + 1), { maxLength: 4 });
    case 'object':
      return objectFor(schema, depth);
    default:
      return junk;
  }
}

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema['format'] === 'date-time') {
    return fc.date({ min: new Date('1969-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  }
  if (schema['format'] === 'uri') {
    return fc.oneof(
      { weight: 3, arbitrary: fc.stringMatching(/^[a-z]{1,8}$/).map((p) => `https://example.com/${p}`) },
      { weight: 1, arbitrary: fc.constantFrom('http://127.0.0.1:1/x', 'http://[::1]/x', 'http://169.254.169.254/', 'ftp://example.com/', 'https://u:p@example.com/', 'not a url') },
    );
  }
  if (typeof schema['pattern'] === 'string') {
    try {
      return fc.stringMatching(new RegExp(schema['pattern'] as string), { size: 'xsmall' });
    } catch {
      // a pattern fast-check cannot generate from: fall through
    }
  }
  return fc.string({ maxLength: typeof schema['maxLength'] === 'number' ? Math.min(schema['maxLength'] as number, 60) + 2 : 40 });
}

function objectFor(schema: JsonSchema, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const properties = (schema['properties'] ?? {}) as Record<string, JsonSchema>;
  const model = Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, valueFor(v, depth + 1)]));
  const required = ((schema['required'] ?? []) as string[]).filter((k) => k in model);
  const record = fc.oneof({ weight: 3, arbitrary: fc.record(model, { requiredKeys: required }) }, { weight: 1, arbitrary: fc.record(model, { requiredKeys: [] }) });
  return fc.tuple(record, sometimes(fc.tuple(fc.string({ maxLength: 10 }), junk), 8)).map(([object, extra]) => (extra ? { ...object, [extra[0]]: extra[1] } : object));
}

/** Query values on the wire: repeated for arrays, text for the rest. */
function queryPairs(values: Record<string, unknown>): [string, string][] {
  return Object.entries(values).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, textOf(x)] as [string, string]) : [[k, textOf(v)] as [string, string]]));
}

const textOf = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD, as on any wire), never throws. */
function encode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** Encodings a path segment or query may carry that a careful client would never send. */
const rawOdd = fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '%2F', '%2e%2e', '%C0%AF', '+', '%FF%FE');

function segment(schema: JsonSchema | undefined, ids: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...ids, '1', '2') },
    { weight: 3, arbitrary: valueFor(schema).map((v) => encode(textOf(v))) },
    { weight: 1, arbitrary: rawOdd },
  );
}

const ODD_CONTENT_TYPES = [
  'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/yaml',
  'application/json; charset=latin1', 'application/json; charset=utf-16', 'application/merge-patch+json', undefined,
] as const;

const MALFORMED_JSON = ['{', '{"a":', '[1,2', '{"a":1,}', "{'a':1}", 'undefined', '\u0000', '{"a":"\\ud800"}', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}', 'NaN'];

/** A body over any sane limit (HTTP_BODY_LIMIT defaults to 1 MiB). */
const HUGE = `{"name":"${'x'.repeat(1_100_000)}"}`;

/** Text bodies for routes that take other types (YAML manifests): plausible, broken and hostile YAML. */
const yamlText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\nspec: {}\n',
    'a: &a [*a]\n', 'key: [unclosed\n', '- - - -\n', '!!binary AAAA\n', '---\n---\n---\n', '\t\tbad: indent\n', 'a: b\n'.repeat(2000),
  ),
);

function bodyFor(route: RouteContract): fc.Arbitrary<FuzzRequest['body']> {
  const schema = inputSchema(route.body);
  const json = (v: unknown) => ({ text: JSON.stringify(v) ?? 'null', contentType: 'application/json' as string | undefined });
  const others = route.bodyContentTypes ?? [];
  const typed = others.length > 0
    ? [{ weight: 4, arbitrary: fc.tuple(yamlText, fc.constantFrom(...others)).map(([text, contentType]) => ({ text, contentType: contentType as string | undefined })) }]
    : [];
  return fc.oneof(
    ...typed,
    { weight: 2, arbitrary: fc.constant(undefined) },
    { weight: 6, arbitrary: valueFor(schema ?? { type: 'object' }).map(json) },
    { weight: 1, arbitrary: fc.constantFrom(...MALFORMED_JSON).map((text) => ({ text, contentType: 'application/json' as string | undefined })) },
    { weight: 1, arbitrary: fc.tuple(valueFor(schema), fc.constantFrom(...ODD_CONTENT_TYPES)).map(([v, contentType]) => ({ text: JSON.stringify(v) ?? 'x', contentType })) },
    { weight: 1, arbitrary: fc.constant({ text: HUGE, contentType: 'application/json' as string | undefined }) },
  );
}

/**
 * Requests for `route`: random and malformed path parameters (real ids among them, from `ids`), query strings
 * (the route's parameters with plausible and absurd values, unknown ones, bad encodings), JSON bodies (shaped after
 * the contract, junk, malformed, huge) and wrong content types, with an admin key, a scoped viewer key or none.
 */
export function requestsFor(route: RouteContract, ids: readonly string[]): fc.Arbitrary<FuzzRequest> {
  const params = inputSchema(route.params);
  const paramSchemas = ((params?.['properties'] ?? {}) as Record<string, JsonSchema>);
  const names = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  const path = fc.tuple(...names.map((n) => segment(paramSchemas[n], ids))).map((values) => {
    let i = 0;
    return route.path.replace(/\{[^}]+\}/g, () => values[i++] ?? '1');
  });
  const querySchema = inputSchema(route.query);
  const query = fc.oneof(
    { weight: 1, arbitrary: fc.constant('') },
    {
      weight: 4,
      arbitrary: fc.tuple(valueFor(querySchema ?? { type: 'object' }), sometimes(rawOdd, 6)).map(([values, raw]) => {
        const pairs = typeof values === 'object' && values !== null && !Array.isArray(values) ? queryPairs(values as Record<string, unknown>) : [['q', textOf(values)] as [string, string]];
        const text = pairs.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
        const all = raw ? `${text}${text ? '&' : ''}x=${raw}` : text;
        return all ? `?${all}` : '';
      }),
    },
  );
  const body = route.method === 'get' ? sometimes(bodyFor(route), 8) : bodyFor(route);
  const key = fc.oneof({ weight: 9, arbitrary: fc.constant('admin' as const) }, { weight: 9, arbitrary: fc.constant('viewer' as const) }, { weight: 2, arbitrary: fc.constant('none' as const) });
  return fc.record({ key, path, query, body }) as fc.Arbitrary<FuzzRequest>;
}
