import type { z } from 'zod';

/** HTTP methods the REST API uses. */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The least role a route needs; `public` routes need no key. */
export type RouteAccess = 'public' | 'viewer' | 'operator' | 'admin';

/**
 * One REST route as a contract: what it takes and what it answers, as zod schemas. The OpenAPI document is
 * generated from the list of these (`API_ROUTES`), and a test holds that list against the routes Nest serves.
 * `path` is the full path in OpenAPI form: `/api/v1/flows/{id}/evidence`.
 */
export interface RouteContract {
  readonly method: HttpMethod;
  readonly path: string;
  /** Short, imperative: "List flow records". */
  readonly summary: string;
  readonly description?: string;
  /** The group in the docs page: `alerts`, `flows`, `policies`, ... */
  readonly tag: string;
  readonly access: RouteAccess;
  /** False for the routes the per-key rate limit leaves alone (health, metrics); default true. */
  readonly rateLimited?: boolean;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodType;
  /** The JSON body; for other content types use `bodyContentTypes`. */
  readonly body?: z.ZodType;
  /** Content types accepted for the body besides `application/json` (e.g. `application/yaml`). */
  readonly bodyContentTypes?: readonly string[];
  /** Success responses by status: a zod schema of the JSON body, or a content-type map for non-JSON answers. */
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType; readonly contentTypes?: readonly string[] }>>;
}
