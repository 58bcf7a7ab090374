/**
 * The OpenAPI 3.1 document, generated from route contracts. OpenAPI 3.1 schemas are JSON Schema 2020-12, which
 * zod 4 writes natively: request parts in `input` form (what a client sends: defaults optional, before
 * transforms), answers in `output` form. Schemas with a zod `id` (`.meta({ id })`) become named components.
 */
import { z } from 'zod';
import { webhookDeliveryBody } from './webhooks.js';
import { errorBody, validationErrorBody } from './common.js';
import { alertEventMessage, flowsStatsEvent, subscribeAck, subscribePayload } from './realtime.js';
import type { HttpMethod, RouteContract } from './route-contract.js';

type JsonSchema = Record<string, unknown>;

/** The parts of an OpenAPI 3.1 document this generator writes. */
export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly tags: readonly { readonly name: string; readonly description?: string }[];
  readonly security: readonly Record<string, readonly string[]>[];
  readonly paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>;
  readonly webhooks: Record<string, { readonly post: Record<string, unknown> }>;
  readonly components: {
    readonly securitySchemes: Record<string, JsonSchema>;
    readonly schemas: Record<string, JsonSchema>;
    readonly responses: Record<string, JsonSchema>;
  };
}

/** One operation; `x-required-role` is the least role a key needs (absent on public routes). */
export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly parameters?: readonly JsonSchema[];
  readonly requestBody?: JsonSchema;
  readonly responses: Record<string, JsonSchema>;
  readonly 'x-required-role'?: string;
}

export interface OpenApiOptions {
  /** The Driftwatch version the document describes. */
  readonly version: string;
}

/** Descriptions of the tags the product uses; a tag not listed here still appears, without one. */
const TAG_DESCRIPTIONS: Readonly<Record<string, string>> = {
  alerts: 'Drift alerts: list, read, acknowledge, resolve, suppress.',
  webhooks: 'Alert receivers, their secrets and deliveries.',
  flows: 'Flow records, exports and evidence.',
  connections: 'Aggregated edges between workloads.',
  collectors: 'Flow sources and their gaps.',
  policies: 'Declared policy revisions: upload, list, diff, activate.',
  'what-if': 'A candidate revision judged against stored flows.',
  compliance: 'Per-namespace compliance reports.',
  health: 'Liveness of this process and its database.',
  metrics: 'Prometheus metrics.',
  meta: 'This document and its docs page.',
};

/** Error answers every route may give, by status, as component names. */
const STANDARD_ERRORS = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
} as const;

const DESCRIPTION = `Checks Kubernetes traffic (Hubble, Calico) against the NetworkPolicies declared in Git.

**Authentication.** Every route but the public ones (health, metrics, this document and its docs page) needs an
API key: \`Authorization: Bearer <key>\` (\`driftwatch keys create\`). A key has a role (viewer < operator < admin;
\`x-required-role\` on each operation is the least one) and a namespace scope: a key scoped to namespaces never sees
data of other namespaces.

**Errors.** Every error answer is \`{statusCode, error, message}\`; a 400 adds \`issues: [{path, message}]\`, one per
bad field (a body that is not valid JSON is a 400 of that shape too).

**Limits.** Request bodies up to \`HTTP_BODY_LIMIT\` (default 1 MiB; larger: 413). JSON bodies are
\`application/json\`; a body of another type is refused with 415 unless the route accepts it. Each key (or, without
one, each client address) may make \`RATE_LIMIT_PER_MINUTE\` requests a minute (default 600); beyond that: 429 with
\`Retry-After\`. Health and metrics are not limited.

**Realtime.** socket.io on the same port (path \`/socket.io\`), with the key in the handshake (\`auth: {token}\`):
emit \`subscribe\` (SocketSubscribe, acknowledged with SocketSubscribeAck); receive \`alert.opened\`,
\`alert.updated\`, \`alert.acknowledged\`, \`alert.resolved\`, \`alert.reopened\`, \`alert.suppressed\`
(SocketAlertEvent) and, about every second, \`flows.stats\` (SocketFlowsStats).

**Webhooks.** Each alert event is POSTed to the matching webhooks (see \`webhooks\` below), signed with HMAC-SHA256
in \`X-Driftwatch-Signature: t=<unix seconds>,v1=<hex of HMAC("<t>.<body>")>\`, at least once; dedupe by \`id\`.`;

/** The id of the one security scheme: an API key as a bearer token. */
export const API_KEY_SCHEME = 'apiKey';

/**
 * The OpenAPI 3.1 document of `routes`. Never throws for a well-formed contract list; a route whose query is not
 * an object schema, or two routes with the same method and path, are contract bugs and throw naming the route.
 */
export function buildOpenApiDocument(routes: readonly RouteContract[], options: OpenApiOptions): OpenApiDocument {
  const schemas = new SchemaComponents();
  const error = schemas.ref(errorBody, 'output');
  const validation = schemas.ref(validationErrorBody, 'output');
  const responses: Record<string, JsonSchema> = {
    BadRequest: { description: 'the request does not fit the route: every bad field, with the reason', content: json(validation) },
    Unauthorized: { description: 'no API key, or an invalid or revoked one', content: json(error) },
    Forbidden: { description: "the key's role is below the one the route needs", content: json(error) },
    NotFound: { description: 'no such resource (or not within the key\'s namespace scope)', content: json(error) },
    PayloadTooLarge: { description: 'the body is larger than HTTP_BODY_LIMIT', content: json(error) },
    UnsupportedMediaType: { description: 'a body of a content type the route does not take', content: json(error) },
    TooManyRequests: {
      description: 'the rate limit of the key (or client address) is used up',
      headers: { 'Retry-After': { description: 'seconds until a request is accepted again', schema: { type: 'integer', minimum: 0 } } },
      content: json(error),
    },
  };
  for (const [schema, io] of [[subscribePayload, 'input'], [subscribeAck, 'output'], [alertEventMessage, 'output'], [flowsStatsEvent, 'output']] as const) {
    schemas.ref(schema, io);
  }

  const paths: OpenApiDocument['paths'] = {};
  const tags: string[] = [];
  for (const route of routes) {
    const item = (paths[route.path] ??= {});
    if (item[route.method]) throw new Error(`two contracts for ${route.method.toUpperCase()} ${route.path}`);
    item[route.method] = operation(route, schemas);
    if (!tags.includes(route.tag)) tags.push(route.tag);
  }

  return {
    openapi: '3.1.0',
    info: { title: 'Driftwatch API', version: options.version, description: DESCRIPTION },
    tags: tags.map((name) => (TAG_DESCRIPTIONS[name] ? { name, description: TAG_DESCRIPTIONS[name] } : { name })),
    security: [{ [API_KEY_SCHEME]: [] }],
    paths,
    webhooks: { alertEvent: { post: webhookOperation(schemas) } },
    components: {
      securitySchemes: {
        [API_KEY_SCHEME]: { type: 'http', scheme: 'bearer', bearerFormat: 'dw_ API key', description: 'An API key (`driftwatch keys create`) or DRIFTWATCH_ADMIN_TOKEN.' },
      },
      schemas: schemas.all,
      responses,
    },
  };
}

/** `GET /api/v1/alerts/{id}/ack` → `getAlertsByIdAck`. */
export function operationId(method: HttpMethod, path: string): string {
  const words = path
    .replace(/^\/api\/v\d+/, '')
    .split('/')
    .filter((part) => part !== '')
    .map((part) => (part.startsWith('{') ? `by-${part.slice(1, -1)}` : part))
    .flatMap((part) => part.split(/[^A-Za-z0-9]+/))
    .filter((word) => word !== '');
  return method + words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

/** The names in `{name}` segments of an OpenAPI path. */
export function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
}

/** The error statuses the document lists for a route besides those its contract gives. */
export function standardErrorStatuses(route: RouteContract): number[] {
  const statuses: number[] = [];
  const hasInput = route.params !== undefined || route.query !== undefined || route.body !== undefined || pathParameterNames(route.path).length > 0;
  if (hasInput) statuses.push(400);
  if (route.access !== 'public') statuses.push(401);
  if (route.access === 'operator' || route.access === 'admin') statuses.push(403);
  if (pathParameterNames(route.path).length > 0) statuses.push(404);
  if (route.body !== undefined) statuses.push(413, 415);
  if (route.rateLimited !== false) statuses.push(429);
  return statuses;
}

function operation(route: RouteContract, schemas: SchemaComponents): OpenApiOperation {
  const parameters = [...pathParameters(route, schemas), ...queryParameters(route, schemas)];
  const responses: Record<string, JsonSchema> = {};
  for (const [status, answer] of Object.entries(route.responses)) {
    const content: Record<string, JsonSchema> = {};
    if (answer.schema) content['application/json'] = { schema: schemas.convert(answer.schema, 'output') };
    for (const type of answer.contentTypes ?? []) content[type] = { schema: type.startsWith('text/') ? { type: 'string' } : {} };
    responses[status] = Object.keys(content).length > 0 ? { description: answer.description, content } : { description: answer.description };
  }
  for (const status of standardErrorStatuses(route)) {
    responses[String(status)] ??= { $ref: `#/components/responses/${STANDARD_ERRORS[status as keyof typeof STANDARD_ERRORS]}` };
  }
  return {
    operationId: operationId(route.method, route.path),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    ...(route.access === 'public' ? { security: [] } : {}),
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: requestBody(route, route.body, schemas) } : {}),
    responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
    ...(route.access === 'public' ? {} : { 'x-required-role': route.access }),
  };
}

function pathParameters(route: RouteContract, schemas: SchemaComponents): JsonSchema[] {
  const declared = route.params ? objectProperties(schemas.convert(route.params, 'input'), schemas, route) : { properties: {}, required: [] };
  return pathParameterNames(route.path).map((name) => {
    const { description, ...schema } = (declared.properties[name] ?? { type: 'string' }) as JsonSchema;
    return { name, in: 'path', required: true, ...(description ? { description } : {}), schema };
  });
}

function queryParameters(route: RouteContract, schemas: SchemaComponents): JsonSchema[] {
  if (!route.query) return [];
  const { properties, required } = objectProperties(schemas.convert(route.query, 'input'), schemas, route);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...schema } = property as JsonSchema;
    return { name, in: 'query', required: required.includes(name), ...(description ? { description } : {}), schema };
  });
}

/** The body is required when `{}` (what an absent body is validated as) does not pass. */
function requestBody(route: RouteContract, body: z.ZodType, schemas: SchemaComponents): JsonSchema {
  let required: boolean;
  try {
    required = !body.safeParse({}).success;
  } catch {
    required = true; // a refinement that throws on {} cannot take an absent body either
  }
  const content: Record<string, JsonSchema> = { 'application/json': { schema: schemas.convert(body, 'input') } };
  for (const type of route.bodyContentTypes ?? []) content[type] = { schema: { type: 'string' } };
  return { required, content };
}

function objectProperties(schema: JsonSchema, schemas: SchemaComponents, route: RouteContract): { properties: Record<string, unknown>; required: string[] } {
  const resolved = schemas.resolve(schema);
  if (resolved['type'] !== 'object' || typeof resolved['properties'] !== 'object') {
    throw new Error(`${route.method.toUpperCase()} ${route.path}: params and query must be object schemas`);
  }
  return { properties: resolved['properties'] as Record<string, unknown>, required: (resolved['required'] as string[] | undefined) ?? [] };
}

function webhookOperation(schemas: SchemaComponents): Record<string, unknown> {
  const header = (name: string, description: string) => ({ name, in: 'header', required: true, description, schema: { type: 'string' } });
  return {
    summary: 'An alert event, POSTed to each matching webhook',
    description: 'Delivered at least once from the outbox, with exponential backoff; every attempt is logged (GET /api/v1/webhooks/{id}/deliveries). Answer 2xx to take it; 410 disables the webhook; anything else is retried.',
    parameters: [
      header('X-Driftwatch-Signature', '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`; during a secret rotation a second `v1=` with the previous secret'),
      header('X-Driftwatch-Event', 'the event type (`alert.opened`, ..., or `webhook.test`)'),
      header('X-Driftwatch-Delivery', 'the delivery id (the same on every attempt)'),
    ],
    requestBody: { required: true, content: json(schemas.ref(webhookDeliveryBody, 'output')) },
    responses: { '2XX': { description: 'taken' }, '410': { description: 'gone: Driftwatch disables the webhook' } },
  };
}

function json(schema: JsonSchema): Record<string, JsonSchema> {
  return { 'application/json': { schema } };
}

/**
 * Converts zod schemas to JSON Schema and gathers the ones with an id as `components.schemas`, rewriting
 * `#/$defs/<id>` references to `#/components/schemas/<name>`. A schema used both ways whose input and output forms
 * differ gets a second component for the form met second, named `<id>Input` or `<id>Output`.
 */
class SchemaComponents {
  readonly all: Record<string, JsonSchema> = {};
  private readonly raw = new Map<string, { readonly text: string; readonly io: 'input' | 'output' }>();

  /** The JSON Schema of `schema`, with named parts as references. */
  convert(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const converted = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      override: (ctx) => {
        // zod adds its date-time regex; `format` says it, and the regex only makes the docs hard to read
        if (ctx.jsonSchema.format === 'date-time') delete ctx.jsonSchema.pattern;
      },
    }) as JsonSchema;
    const { $schema: _ignored, $defs, ...rest } = converted;
    const names = new Map<string, string>();
    for (const [id, definition] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) names.set(id, this.nameFor(id, io, definition));
    for (const [id, definition] of Object.entries(($defs ?? {}) as Record<string, JsonSchema>)) {
      this.all[names.get(id) as string] = rewriteRefs(definition, names) as JsonSchema;
    }
    return rewriteRefs(rest, names) as JsonSchema;
  }

  /** A `$ref` to the component of a schema that has an id. */
  ref(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
    const converted = this.convert(schema, io);
    if (typeof converted['$ref'] !== 'string') throw new Error('ref() needs a schema with an id (.meta({ id }))');
    return converted;
  }

  /** The schema a top-level `$ref` points at, or the schema itself. */
  resolve(schema: JsonSchema): JsonSchema {
    const ref = schema['$ref'];
    if (typeof ref !== 'string') return schema;
    return this.all[ref.replace('#/components/schemas/', '')] ?? schema;
  }

  private nameFor(id: string, io: 'input' | 'output', definition: JsonSchema): string {
    const text = JSON.stringify(definition);
    for (const name of [id, `${id}${io === 'input' ? 'Input' : 'Output'}`]) {
      const known = this.raw.get(name);
      if (known === undefined) {
        this.raw.set(name, { text, io });
        return name;
      }
      if (known.text === text) return name;
      // one schema converts the same way every time: a difference in the same form means another schema
      if (known.io === io) break;
    }
    throw new Error(`two different schemas share the id ${JSON.stringify(id)}`);
  }
}

function rewriteRefs(value: unknown, names: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, names));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string' && v.startsWith('#/$defs/')) {
      const id = v.slice('#/$defs/'.length);
      out[key] = `#/components/schemas/${names.get(id) ?? id}`;
    } else {
      out[key] = rewriteRefs(v, names);
    }
  }
  return out;
}
