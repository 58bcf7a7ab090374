import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hubbleJsonToGrpc, parseHubbleJsonLines, type GrpcGetFlowsResponse } from '@driftwatch/testing';

export const shop = join(import.meta.dirname, '..', '..', '..', 'examples', 'shop');
const shopLines = readFileSync(join(shop, 'flows.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');

/**
 * The shop capture (16 flows: 7 allowed, 2 denied, 3 unexpected, 4 skipped) as new flows: fresh uuids, times
 * from `start` on, 1 ms apart, so a relay can send it again and again without the collector dropping repeats.
 */
export function shopFlows(start = Date.now()): GrpcGetFlowsResponse[] {
  return parseHubbleJsonLines(
    shopLines
      .map((line, i) => {
        const parsed = JSON.parse(line) as { flow: { uuid: string; time: string }; time?: string };
        parsed.flow.uuid = randomUUID();
        parsed.flow.time = new Date(start + i).toISOString();
        parsed.time = parsed.flow.time; // the response's time: what a relay filters `since` by
        return JSON.stringify(parsed);
      })
      .join('\n'),
  );
}

/** What the shop capture counts as, per label. */
export const SHOP_LABELS = { allowed: 7, denied: 2, unexpected: 3, skipped: 4 } as const;

/** A Hubble `lost_events` message: the ring buffer lost `count` events. */
export function lostEvents(count: number, at = Date.now()): GrpcGetFlowsResponse {
  return hubbleJsonToGrpc({ lost_events: { source: 'PERF_EVENT_RING_BUFFER', num_events_lost: String(count), cpu: { value: 1 } }, time: new Date(at).toISOString() });
}

/** The value of one series (`name{labels}` exactly as exposed) in Prometheus text; undefined when absent. */
export function metric(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Polls `probe` every 100 ms until it returns something other than undefined. */
export async function until<T>(what: string | (() => string), probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
