import type { INestApplication, LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { setApiPrefix } from '@driftwatch/api';
import type { LogLevel } from '@driftwatch/config';
import { AppModule, type AppOptions } from './app.module.js';

const levels: readonly NestLogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Nest's logger levels at and above `level`. */
export function logLevelsFrom(level: LogLevel): NestLogLevel[] {
  return levels.slice(0, levels.indexOf(level) + 1);
}

/** Creates the Nest application with the REST prefix `/api/v1` (the live page stays at `/`); the caller listens and closes it. */
export async function createApp(options: AppOptions & { logLevel: LogLevel }): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(options), {
    logger: logLevelsFrom(options.logLevel),
    abortOnError: false,
  });
  setApiPrefix(app);
  return app;
}
