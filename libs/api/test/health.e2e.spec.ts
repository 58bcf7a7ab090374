import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { PersistenceModule } from '@driftwatch/persistence';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ApiModule } from '../src/index.js';

async function startApi(databaseUrl: string): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({
    imports: [PersistenceModule.forRoot({ databaseUrl }), ApiModule.forRoot({ version: '9.9.9-test' })],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  app.setGlobalPrefix('api/v1');
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

describe('GET /api/v1/health over real HTTP', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers 200 with status ok when the database answers', async () => {
    const started = await startApi(inject('databaseUrl'));
    app = started.app;
    const response = await fetch(`${started.url}/api/v1/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok', database: 'up', version: '9.9.9-test' });
  });

  it('answers 503 with status degraded when the database does not', async () => {
    const started = await startApi('postgresql://postgres@127.0.0.1:1/none');
    app = started.app;
    const response = await fetch(`${started.url}/api/v1/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'degraded', database: 'down', version: '9.9.9-test' });
  });

  it('answers 404 outside the API', async () => {
    const started = await startApi(inject('databaseUrl'));
    app = started.app;
    expect((await fetch(`${started.url}/health`)).status).toBe(404);
  });
});
