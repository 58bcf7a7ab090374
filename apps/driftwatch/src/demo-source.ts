import { resolve } from 'node:path';
import type { SourceSpec } from '@driftwatch/collector';
import type { Logger } from '@driftwatch/common';
import type { Config } from '@driftwatch/config';
import { DemoHubbleServer } from '@driftwatch/demo';

/** The demo source's id in collector_state. */
export const DEMO_SOURCE_ID = 'hubble:demo';

/**
 * The built-in demo source, when no flow source is configured and DEMO is on: a Hubble API on loopback playing
 * examples/shop, added to `specs` as the Hubble source it is, so that the flows take the real path (gRPC, the
 * Hubble client, the pipeline, the drift detector). Undefined (and `specs` untouched) otherwise.
 */
export async function startDemoSource(config: Config, specs: SourceSpec[], policies: string, examplePolicies: string, logger: Logger): Promise<DemoHubbleServer | undefined> {
  if (specs.length > 0 || config.DEMO === 'off') return undefined;
  // every 30 s a burst overflows the ring buffer and 8 flows are lost, so the loss accounting has something to show
  const demo = await DemoHubbleServer.start({ flowsPerSecond: config.DEMO_RATE, lossEveryMs: 30_000, lossFlows: 8 });
  // One id whatever port the demo got, so its resume point and gaps stay one row in collector_state.
  specs.push({ kind: 'hubble', address: demo.address, id: DEMO_SOURCE_ID });
  if (resolve(policies) !== resolve(examplePolicies)) {
    logger.warn(`demo: the demo source plays the examples/shop cluster, but POLICY_DIR is ${policies}: its flows will not match those policies (set a flow source, or DEMO=off)`);
  }
  return demo;
}
