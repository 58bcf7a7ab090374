import type { INestApplication } from '@nestjs/common';
import { workerDatabaseUrl } from '@driftwatch/testing';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { startApi } from './support/api-app.js';

const databaseUrl = await workerDatabaseUrl(inject('serverUrl'), inject('templateDatabase'));

describe('GET /api/v1/health over real HTTP', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('answers 200 with status ok when the database answers', async () => {
    const started = await startApi(databaseUrl);
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
    const started = await startApi(databaseUrl);
    app = started.app;
    expect((await fetch(`${started.url}/health`)).status).toBe(404);
  });
});
