import { DriftDetector } from '@driftwatch/alerts';
import { createLogger } from '@driftwatch/common';
import type { Config } from '@driftwatch/config';
import { AlertStore } from '@driftwatch/persistence';
import type { CliIo } from './cli.js';

/** The drift detector of a process that runs collectors (`serve`, `collect`), over its own small pool. */
export function startDriftDetection(databaseUrl: string, config: Config, io: CliIo): { detector: DriftDetector; stop(): Promise<void> } {
  const store = AlertStore.open(databaseUrl, 2);
  const log = createLogger({ level: config.LOG_LEVEL, write: (line) => io.stderr(`${line}\n`) });
  const detector = new DriftDetector({ store, resolveAfterMs: config.ALERT_RESOLVE_AFTER, log });
  let stopped: Promise<void> | undefined;
  return {
    detector,
    stop() {
      stopped ??= detector.stop().finally(() => store.close());
      return stopped;
    },
  };
}
