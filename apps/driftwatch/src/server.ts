import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { StructuredLogger } from '@driftwatch/common';
import { configureHttp, NestLogger, type HttpOptions } from '@driftwatch/api';
import { AppModule, type AppOptions } from './app.module.js';

/**
 * Creates the Nest application with the app's HTTP setup (`configureHttp`: a request id on every request, the
 * `/api/v1` prefix (the live page and `/metrics` stay at the root), security headers, CORS, body limits, the one
 * error shape), logging through `logger` (LOG_LEVEL and LOG_FORMAT are the logger's); the caller listens and
 * closes it.
 */
export async function createApp(options: AppOptions & { logger: StructuredLogger; http?: HttpOptions }): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    logger: new NestLogger(options.logger),
    abortOnError: false,
  });
  configureHttp(app, options.http);
  return app;
}
