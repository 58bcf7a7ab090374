import { describe, expect, it } from 'vitest';
import { DriftwatchMetrics, startMetricsServer, type PipelineStatsView, type SourceStats } from '../src/index.js';

/** The value of one series in a Prometheus text exposition (undefined when absent). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

function source(id: string, over: Partial<SourceStats> = {}): SourceStats {
  return { id, connected: true, flows: { allowed: 5, denied: 2, unexpected: 1, skipped: 3 }, lost: 7, malformed: 1, duplicates: 4, ...over };
}

function pipeline(sources: SourceStats[]): PipelineStatsView & { sources: SourceStats[] } {
  return {
    sources,
    backlog: { batches: 2, bytes: 4096, openRecords: 9 },
    sourceStats: () => sources,
    decisionCacheStats: () => ({ entries: 3, hits: 30, misses: 10 }),
  };
}

describe('DriftwatchMetrics', () => {
  it('reads the pipeline on each scrape: flows by source and label, lost events, connection, queue, cache', async () => {
    const metrics = new DriftwatchMetrics({ version: '1.2.3', processMetrics: false });
    const view = pipeline([source('hubble:a:1'), source('ingest:127.0.0.1:0', { connected: false, lost: 0 })]);
    const stop = metrics.watchPipeline(view);
    let text = await metrics.render();
    expect(sample(text, 'driftwatch_flows_total{source="hubble:a:1",label="allowed"}')).toBe(5);
    expect(sample(text, 'driftwatch_flows_total{source="hubble:a:1",label="skipped"}')).toBe(3);
    expect(sample(text, 'driftwatch_lost_events_total{source="hubble:a:1"}')).toBe(7);
    expect(sample(text, 'driftwatch_collector_connected{source="hubble:a:1"}')).toBe(1);
    expect(sample(text, 'driftwatch_collector_connected{source="ingest:127.0.0.1:0"}')).toBe(0);
    expect(sample(text, 'driftwatch_pipeline_queue_batches')).toBe(2);
    expect(sample(text, 'driftwatch_pipeline_queue_bytes')).toBe(4096);
    expect(sample(text, 'driftwatch_decision_cache_hit_ratio')).toBe(0.75);
    expect(sample(text, 'driftwatch_build_info{version="1.2.3"}')).toBe(1);

    // Counters follow the pipeline's monotonic counts, not the number of scrapes.
    view.sources[0] = source('hubble:a:1', { flows: { allowed: 8, denied: 2, unexpected: 1, skipped: 3 } });
    text = await metrics.render();
    expect(sample(text, 'driftwatch_flows_total{source="hubble:a:1",label="allowed"}')).toBe(8);
    stop();
    text = await metrics.render();
    expect(text).not.toContain('source="hubble:a:1"');
    expect(sample(text, 'driftwatch_decision_cache_hit_ratio')).toBe(0);
  });

  it('observes batch writes and webhook attempts as they happen, every outcome present from the start', async () => {
    const metrics = new DriftwatchMetrics({ processMetrics: false });
    expect(sample(await metrics.render(), 'driftwatch_webhook_deliveries_total{outcome="gone"}')).toBe(0);
    metrics.batchWritten(0.02);
    metrics.batchWritten(3);
    metrics.webhookAttempt('delivered');
    metrics.webhookAttempt('retry');
    metrics.webhookAttempt('retry');
    const text = await metrics.render();
    expect(sample(text, 'driftwatch_batch_write_seconds_count')).toBe(2);
    expect(sample(text, 'driftwatch_batch_write_seconds_bucket{le="0.025"}')).toBe(1);
    expect(sample(text, 'driftwatch_webhook_deliveries_total{outcome="retry"}')).toBe(2);
    expect(sample(text, 'driftwatch_webhook_deliveries_total{outcome="delivered"}')).toBe(1);
  });

  it('reads unresolved alerts on each scrape, zero for the rest, and drops the series when the read fails', async () => {
    const metrics = new DriftwatchMetrics({ processMetrics: false });
    expect(await metrics.render()).not.toMatch(/^driftwatch_open_alerts\{/m);
    let fail = false;
    const failures: string[] = [];
    metrics.readOpenAlertsWith(
      async () => {
        if (fail) throw new Error('database down');
        return [{ severity: 'high', status: 'open', count: 4 }];
      },
      (error) => failures.push(error.message),
    );
    let text = await metrics.render();
    expect(sample(text, 'driftwatch_open_alerts{severity="high",status="open"}')).toBe(4);
    expect(sample(text, 'driftwatch_open_alerts{severity="critical",status="suppressed"}')).toBe(0);
    fail = true;
    text = await metrics.render();
    expect(text).not.toMatch(/^driftwatch_open_alerts\{/m);
    expect(failures).toEqual(['database down']);
  });

  it('includes Node process metrics by default', async () => {
    const text = await new DriftwatchMetrics().render();
    expect(text).toMatch(/^process_cpu_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });
});

describe('startMetricsServer', () => {
  it('serves /metrics, requires the token when one is set, and answers 404 elsewhere', async () => {
    const metrics = new DriftwatchMetrics({ processMetrics: false });
    const server = await startMetricsServer({ listen: '127.0.0.1:0', metrics, token: 'a-token-of-16-chars' });
    try {
      const url = `http://${server.address}`;
      const refused = await fetch(`${url}/metrics`);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
      expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer a-token-of-16-charX' } })).status).toBe(401);
      const ok = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer a-token-of-16-chars' } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await ok.text()).toContain('# TYPE driftwatch_flows_total counter');
      expect((await fetch(`${url}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('rejects with one line when the address is taken', async () => {
    const metrics = new DriftwatchMetrics({ processMetrics: false });
    const first = await startMetricsServer({ listen: '127.0.0.1:0', metrics });
    try {
      await expect(startMetricsServer({ listen: first.address, metrics })).rejects.toThrow(`cannot listen on ${first.address}: address already in use`);
    } finally {
      await first.close();
    }
  });
});
