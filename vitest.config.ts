import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { PlainSummaryReporter } from './tools/vitest/plain-summary-reporter.ts';

export default defineConfig({
  test: {
    projects: ['apps/*/vitest.config.ts', 'libs/*/vitest.config.ts', 'tools/vitest.config.ts'],
    reporters: ['default', new PlainSummaryReporter()],
    // One test file per core, not vitest's default of one less: the main process only collects results, and
    // most files spend much of their time waiting for child processes, servers and Postgres. On a 2-core
    // machine the default is a single worker, which left one core idle for most of the run.
    maxWorkers: availableParallelism(),
  },
});
