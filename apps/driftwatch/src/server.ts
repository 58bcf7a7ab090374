import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { StructuredLogger } from '@driftwatch/common';
import { NestLogger, ROUTES_OUTSIDE_PREFIX, useRequestContext } from '@driftwatch/api';
import { AppModule, type AppOptions } from './app.module.js';

/**
 * Creates the Nest application with the REST prefix `/api/v1` (`/metrics` stays at the root), a request id on
 * every request, logging through `logger` (LOG_LEVEL and LOG_FORMAT are the logger's); the caller listens and
 * closes it.
 */
export async function createApp(options: AppOptions & { logger: StructuredLogger }): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(options), {
    logger: new NestLogger(options.logger),
    abortOnError: false,
  });
  app.setGlobalPrefix('api/v1', { exclude: [...ROUTES_OUTSIDE_PREFIX] });
  useRequestContext(app);
  return app;
}
