import { Inject, Injectable } from '@nestjs/common';
import { AlertStoreProvider } from '@driftwatch/persistence';
import { API_OPTIONS, type ApiOptions } from '../tokens.js';
import type { Actor } from './access.js';
import { apiKeyPrefix, keyMatches, tokenMatches } from './api-key-secrets.js';

/** The actor of `DRIFTWATCH_ADMIN_TOKEN`: an admin with every namespace. */
export const ADMIN_TOKEN_ACTOR: Actor = Object.freeze({ prefix: 'admin-token', role: 'admin', namespaces: '*' });

const TOUCH_EVERY_MS = 60_000;

/** The part of an HTTP request authentication reads. */
export interface HttpRequest {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** Turns a bearer token into an Actor: an API key (not revoked) or the configured admin token. */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly touched = new Map<number, number>();
  /** One lookup per request, whichever guard asks first (the rate limit needs the key before the auth guard runs). */
  private readonly byRequest = new WeakMap<object, Promise<Actor | undefined>>();

  constructor(
    private readonly stores: AlertStoreProvider,
    @Inject(API_OPTIONS) private readonly options: ApiOptions,
  ) {}

  /** The actor `token` stands for, or undefined when it is no valid key. Records last use at most once a minute per key. */
  async authenticate(token: string | undefined): Promise<Actor | undefined> {
    if (!token) return undefined;
    const admin = this.options.adminToken;
    if (admin !== undefined && tokenMatches(token, admin)) return ADMIN_TOKEN_ACTOR;
    const prefix = apiKeyPrefix(token);
    if (!prefix) return undefined;
    const key = await this.stores.store.keys.byPrefix(prefix);
    if (!key || key.revokedAt !== null || !keyMatches(token, key.hash)) return undefined;
    this.touch(key.id);
    return { prefix: key.prefix, role: key.role, namespaces: key.namespaces.includes('*') ? '*' : key.namespaces };
  }

  /** The actor of a request's bearer token (see {@link authenticate}), looked up once per request. */
  authenticateRequest(request: HttpRequest): Promise<Actor | undefined> {
    let found = this.byRequest.get(request);
    if (!found) {
      found = this.authenticate(bearerToken(request.headers['authorization']));
      this.byRequest.set(request, found);
    }
    return found;
  }

  private touch(id: number): void {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    if (this.touched.size > 10_000) this.touched.clear();
    this.stores.store.keys.touch(id).catch(() => this.touched.delete(id));
  }
}

/** The token of an `Authorization: Bearer <token>` header, if any. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}
