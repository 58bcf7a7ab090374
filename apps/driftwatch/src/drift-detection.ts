import { DriftDetector } from '@driftwatch/alerts';
import type { Logger } from '@driftwatch/common';
import type { Config } from '@driftwatch/config';
import { AlertStore } from '@driftwatch/persistence';

/** The drift detector of a process that runs collectors (`serve`, `collect`), over its own small pool. */
export function startDriftDetection(databaseUrl: string, config: Config, logger: Logger): { detector: DriftDetector; stop(): Promise<void> } {
  const store = AlertStore.open(databaseUrl, 2);
  const detector = new DriftDetector({ store, resolveAfterMs: config.ALERT_RESOLVE_AFTER, log: logger });
  let stopped: Promise<void> | undefined;
  return {
    detector,
    stop() {
      stopped ??= detector.stop().finally(() => store.close());
      return stopped;
    },
  };
}
