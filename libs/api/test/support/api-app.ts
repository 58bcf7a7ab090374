import type { INestApplication, LoggerService, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { AlertStore, PersistenceModule } from '@driftwatch/persistence';
import { ApiModule, configureHttp, issueApiKey, type HttpOptions, type Role } from '../../src/index.js';

/** What a test may set of the API it starts; everything else is as `driftwatch serve` has it. */
export interface TestApiOptions {
  readonly adminToken?: string;
  /** Extra controllers (probes of the guards). */
  readonly controllers?: Type[];
  readonly webhooks?: { readonly allowPrivateNetworks: boolean };
  /** RATE_LIMIT_PER_MINUTE (default 600; 0 = off). */
  readonly rateLimitPerMinute?: number;
  /** HTTP_BODY_LIMIT, CORS_ORIGINS. */
  readonly http?: HttpOptions;
  /** METRICS_TOKEN. */
  readonly metricsToken?: string;
  /** Where Nest's log lines go (default: nowhere). */
  readonly logger?: LoggerService;
}

/**
 * A Nest application with the API module over `databaseUrl`, with the app's HTTP setup (`configureHttp`: request
 * ids, the prefix (`/api/v1`; the page and `/metrics` outside it), headers, CORS, body limits, the one error
 * shape), listening on a free loopback port. Silent unless given a `logger`.
 */
export async function startApi(databaseUrl: string, options: TestApiOptions = {}): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      PersistenceModule.forRoot({ databaseUrl }),
      ApiModule.forRoot({
        version: '9.9.9-test',
        ...(options.adminToken ? { adminToken: options.adminToken } : {}),
        ...(options.metricsToken ? { metricsToken: options.metricsToken } : {}),
        ...(options.webhooks ? { webhooks: options.webhooks } : {}),
        ...(options.rateLimitPerMinute !== undefined ? { rateLimitPerMinute: options.rateLimitPerMinute } : {}),
      }),
    ],
    controllers: options.controllers ?? [],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: options.logger ?? false });
  configureHttp(app, options.http);
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
