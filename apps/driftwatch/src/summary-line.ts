import type { PipelineSummary } from '@driftwatch/collector';

/**
 * The JSON line `collect` and `evaluate` end with: the keys first
 * (`flows, allowed, denied, unexpected, skipped, lost, seconds`), then `duplicates` and `malformed`.
 * @param startedAt `performance.now()` when the command started.
 */
export function summaryLine(summary: Readonly<PipelineSummary>, startedAt: number): string {
  const { flows, allowed, denied, unexpected, skipped, lost, duplicates, malformed } = summary;
  const seconds = Number(((performance.now() - startedAt) / 1000).toFixed(3));
  return `${JSON.stringify({ flows, allowed, denied, unexpected, skipped, lost, seconds, duplicates, malformed })}\n`;
}
