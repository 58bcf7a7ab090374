import type { StructuredLogger } from '@driftwatch/common';

/** How long a stop may take before the process exits anyway (Kubernetes kills after 30 s by default). */
export const SHUTDOWN_DEADLINE_MS = 25_000;

/**
 * Resolves with the first SIGINT or SIGTERM. From then on, {@link SHUTDOWN_DEADLINE_MS} without the process
 * having exited ends it at once with status 1 and one line saying so: a stop is bounded in time whatever hangs.
 * Further signals do not cut the stop short: Ctrl-C under `npm start` delivers SIGINT twice (the terminal sends
 * it to npm and to Driftwatch, and npm forwards its own).
 */
export function untilStopSignal(logger: StructuredLogger, deadlineMs = SHUTDOWN_DEADLINE_MS): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      const started = Date.now();
      const again = (second: NodeJS.Signals) => {
        logger.debug(`stopping: ${second} received while stopping; the stop goes on (at most ${Math.ceil((deadlineMs - (Date.now() - started)) / 1000)} s more)`);
      };
      process.on('SIGINT', again);
      process.on('SIGTERM', again);
      setTimeout(() => {
        logger.error(`stopping: not done after ${Math.round(deadlineMs / 1000)} s; exiting now, what was still in memory is not written`);
        process.exit(1);
      }, deadlineMs).unref();
      resolve(signal);
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });
}
