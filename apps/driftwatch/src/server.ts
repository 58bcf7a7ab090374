import type { LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { configureHttp, type HttpOptions } from '@driftwatch/api';
import type { LogLevel } from '@driftwatch/config';
import { AppModule, type AppOptions } from './app.module.js';

const levels: readonly NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Nest's logger levels at and above `level`. */
export function logLevelsFrom(level: LogLevel): NestLogLevel[] {
  return levels.slice(0, levels.indexOf(level) + 1);
}

/**
 * Creates the Nest application with the app's HTTP setup (`configureHttp`: the `/api/v1` prefix (the live page stays at `/`), security
 * headers, CORS, body limits, the one error shape); the caller listens and closes it.
 */
export async function createApp(options: AppOptions & { logLevel: LogLevel; http?: HttpOptions }): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    logger: logLevelsFrom(options.logLevel),
    abortOnError: false,
  });
  configureHttp(app, options.http);
  return app;
}
