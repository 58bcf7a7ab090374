// A fake Hubble Relay in a process of its own, for the ingest benchmark: streams `count` pre-encoded synthetic
// flows to every GetFlows call. Prints its port on stdout, serves until SIGTERM.
// usage: node tools/run-ts.js tools/bench/relay-process.ts <count> <seed>
import { createSyntheticCluster, encodedHubbleStream, FakeHubbleRelay } from '@driftwatch/testing';

const count = Number(process.argv[2] ?? 500_000);
const seed = Number(process.argv[3] ?? 5);
const cluster = createSyntheticCluster({ seed, namespaces: 8 });
const relay = await FakeHubbleRelay.start({ source: () => encodedHubbleStream(cluster, { count, seed, meanGapMicros: 50 }) });
process.stdout.write(`${relay.port}\n`);
process.once('SIGTERM', () => {
  relay.kill();
  process.exit(0);
});
