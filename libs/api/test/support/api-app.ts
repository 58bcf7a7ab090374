import type { INestApplication, LoggerService, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AlertStore, PersistenceModule } from '@driftwatch/persistence';
import { ApiModule, issueApiKey, ROUTES_OUTSIDE_PREFIX, useRequestContext, type Role } from '../../src/index.js';

/**
 * A Nest application with the API module over `databaseUrl`, listening on a free loopback port, set up as the
 * app does it: the prefix (`/api/v1`, `/metrics` outside it) and request ids. Silent unless given a `logger`.
 */
export async function startApi(
  databaseUrl: string,
  options: { adminToken?: string; controllers?: Type[]; logger?: LoggerService; metricsToken?: string } = {},
): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      PersistenceModule.forRoot({ databaseUrl }),
      ApiModule.forRoot({
        version: '9.9.9-test',
        ...(options.adminToken ? { adminToken: options.adminToken } : {}),
        ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
      }),
    ],
    controllers: options.controllers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: options.logger ?? false });
  app.setGlobalPrefix('api/v1', { exclude: [...ROUTES_OUTSIDE_PREFIX] });
  useRequestContext(app);
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

/** Creates a key in the database (audited as `test`) and returns it whole. */
export async function createKey(databaseUrl: string, role: Role, namespaces: readonly string[] = ['*']): Promise<{ key: string; prefix: string }> {
  const store = AlertStore.open(databaseUrl, 1);
  try {
    const { key, row } = await issueApiKey(store.keys, { role, namespaces, name: `${role} for tests` }, 'test');
    return { key, prefix: row.prefix };
  } finally {
    await store.close();
  }
}

/** fetch with a bearer key; resolves to status and parsed JSON body (of any shape: the tests check it). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call(url: string, key: string | undefined, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { ...(init.body ? { 'content-type': 'application/json' } : {}), ...(key ? { authorization: `Bearer ${key}` } : {}) };
  const response = await fetch(url, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> | undefined) } });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}
