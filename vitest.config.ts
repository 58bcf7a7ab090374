import { defineConfig } from 'vitest/config';
import { PlainSummaryReporter } from './tools/vitest/plain-summary-reporter.ts';

export default defineConfig({
  test: {
    projects: ['apps/*/vitest.config.ts', 'libs/*/vitest.config.ts', 'tools/vitest.config.ts'],
    reporters: ['default', new PlainSummaryReporter()],
  },
});
