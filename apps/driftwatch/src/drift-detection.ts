import { DriftDetector, FlowStatsCounter } from '@driftwatch/alerts';
import type { Logger } from '@driftwatch/common';
import type { Config } from '@driftwatch/config';
import { AlertStore } from '@driftwatch/persistence';

/**
 * The observers of a process that runs collectors (`serve`, `collect`), over their own small pool: the drift
 * detector, and the live per-namespace counts behind socket.io `flows.stats`.
 */
export function startDriftDetection(
  databaseUrl: string,
  config: Config,
  logger: Logger,
): { detector: DriftDetector; observers: (DriftDetector | FlowStatsCounter)[]; stop(): Promise<void> } {
  const store = AlertStore.open(databaseUrl, 2);
  const detector = new DriftDetector({ store, resolveAfterMs: config.ALERT_RESOLVE_AFTER, log: logger });
  const stats = new FlowStatsCounter({ channel: store.flowStats, log: logger });
  let stopped: Promise<void> | undefined;
  return {
    detector,
    observers: [detector, stats],
    stop() {
      stopped ??= Promise.all([detector.stop(), stats.stop()])
        .then(() => undefined)
        .finally(() => store.close());
      return stopped;
    },
  };
}
