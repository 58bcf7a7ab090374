import type { Logger } from '@driftwatch/common';
import type { Recorder } from './collector-kit.js';

/** A Logger for sources under test: every message, whatever its level, is pushed to `recorder` as it is. */
export function loggerInto(recorder: Recorder<string>): Logger {
  const keep = (message: string) => recorder.push(message);
  return { error: keep, warn: keep, log: keep, debug: keep };
}
