// A fake Hubble Relay in a process of its own, for the alerts benchmark. Once the first GetFlows call arrives it
// streams <rate> ordinary flows per second (allowed connections of a synthetic cluster, with their replies; no drift,
// no denials), paced against the clock. Commands on stdin, one a line:
//   drift <port>  writes one unenforced-deny flow (a forbidden pod pair of the cluster, on TCP <port>: one alert key
//                 per port) and prints "sent <port> <epoch ms, fractional>" taken just before the write;
//   report        prints "background <flows> <seconds>": the ordinary flows written and over how long.
// Prints "port <port>" when listening and "connected" at the first GetFlows call; serves until SIGTERM.
// usage: node tools/run-ts.js tools/bench/alerts-relay-process.ts <seed> <rate>
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import {
  createSyntheticCluster, encodedHubbleStream, FakeHubbleRelay, generateHubbleTraffic, toTimestamp, type GrpcGetFlowsResponse, type RelayMessage,
} from '@driftwatch/testing';

const seed = Number(process.argv[2] ?? 5);
const rate = Number(process.argv[3] ?? 10_000);
const cluster = createSyntheticCluster({ seed, namespaces: 8 });
const now = () => performance.timeOrigin + performance.now();

// The first unenforced deny between two pods: forwarded at the source's egress, denied by the declared policies.
const drift = [...generateHubbleTraffic(cluster, { seed, count: 5000, driftRate: 1 })].find((e) => {
  const flow = e.response.flow as { destination?: { namespace?: string }; l4?: { TCP?: unknown } } | undefined;
  return e.expected.drift === 'unenforced-deny' && flow?.destination?.namespace !== undefined && flow.l4?.TCP !== undefined;
});
if (!drift) throw new Error('the synthetic cluster produced no pod-to-pod unenforced deny over TCP');

function driftFlow(port: number): GrpcGetFlowsResponse {
  const response = structuredClone(drift!.response) as { flow: Record<string, unknown> & { l4: { TCP: Record<string, unknown> } } };
  const time = toTimestamp(Date.now());
  response.flow.uuid = randomUUID();
  response.flow.time = time;
  response.flow.l4.TCP.destination_port = port;
  return { ...response, time } as GrpcGetFlowsResponse;
}

const relay = await FakeHubbleRelay.start({ replayHistoryOnFollow: false });
process.stdout.write(`port ${relay.port}\n`);

let background = 0;
let startedAt = 0;
let stoppedAt = 0;
let pacer: NodeJS.Timeout | undefined;
await relay.waitForRequests(1);
process.stdout.write('connected\n');
if (rate > 0) {
  const frames = encodedHubbleStream(cluster, {
    seed, count: rate * 3600, startTimeMs: Date.now(), meanGapMicros: Math.max(1, Math.round(1e6 / rate)), driftRate: 0, deniedRate: 0, nonPolicyDropRate: 0,
  });
  startedAt = now();
  pacer = setInterval(() => {
    const due = Math.min(Math.floor(((now() - startedAt) / 1000) * rate) - background, rate); // never more than a second's worth at once
    if (due <= 0) return;
    const batch: RelayMessage[] = [];
    for (let i = 0; i < due; i++) {
      const next = frames.next();
      if (next.done) break;
      batch.push(next.value);
    }
    relay.push(...batch);
    background += batch.length;
    stoppedAt = now();
  }, 5);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, arg] = line.trim().split(' ');
  if (command === 'drift') {
    const message = driftFlow(Number(arg));
    const at = now();
    relay.push(message);
    process.stdout.write(`sent ${arg} ${at}\n`);
  } else if (command === 'report') {
    process.stdout.write(`background ${background} ${startedAt === 0 ? 0 : ((stoppedAt - startedAt) / 1000).toFixed(3)}\n`);
  }
});

process.once('SIGTERM', () => {
  if (pacer) clearInterval(pacer);
  relay.kill();
  process.exit(0);
});
