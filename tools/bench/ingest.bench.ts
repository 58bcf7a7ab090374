// npm run bench:ingest [-- <flows> [<runs>]]: streams synthetic Hubble flows over gRPC from a fake relay (its own
// process) through the whole pipeline (decode, normalize, dedupe, classify, aggregate, batched writes) into
// Postgres, and prints flows/s end to end, collector CPU per flow and peak RSS, next to baselines measured in the
// same run: a bare client receiving the same stream with no processing (the transport ceiling, and its CPU per
// message: the CPU ratio divides the collector's CPU per flow by it), and plain COPY of as many flat rows.
// Runs the measurement `runs` times (default 3), printing each run, and judges the medians.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import postgres from 'postgres';
import { FlowPipeline, HIGH_VOLUME_CHANNEL, HubbleRelaySource, loadHubbleApi } from '@driftwatch/collector';
import type { PolicySnapshot } from '@driftwatch/policy-engine';
import { loadConfig } from '@driftwatch/config';
import { applyMigrations, dropDatabase, ensureDatabase, FlowStore, resolveDatabase, withDatabase } from '@driftwatch/persistence';
import { compileRevision, loadManifests } from '@driftwatch/policy-engine';
import { createSyntheticCluster, renderSyntheticPolicies } from '@driftwatch/testing';

const FLOWS = Number(process.argv[2] ?? 500_000);
const RUNS = Number(process.argv[3] ?? 3);
const SEED = 5;
const TARGET_RATE = 50_000;
const TARGET_SHARE = 0.7;
const TARGET_RSS_MB = 400;
const TARGET_CPU_RATIO = 2.0;
const root = join(import.meta.dirname, '..', '..');

function startRelay(): Promise<{ child: ChildProcess; address: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'tools', 'run-ts.js'), join(root, 'tools', 'bench', 'relay-process.ts'), String(FLOWS), String(SEED)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout!.setEncoding('utf8').once('data', (line: string) => resolve({ child, address: `127.0.0.1:${line.trim()}` }));
    child.once('exit', (code) => reject(new Error(`the relay process exited with ${code}`)));
  });
}

/** The transport ceiling: a bare client counting raw messages of one GetFlows stream. */
async function bareClient(address: string, decode: boolean): Promise<{ rate: number; cpuMicros: number }> {
  const method = loadHubbleApi().Observer.service['GetFlows']!;
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), HIGH_VOLUME_CHANNEL);
  const started = performance.now();
  const cpu = process.cpuUsage();
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    const call = client.makeServerStreamRequest(
      '/observer.Observer/GetFlows',
      method.requestSerialize as (v: unknown) => Buffer,
      decode ? (method.responseDeserialize as (b: Buffer) => unknown) : (b: Buffer) => b,
      { follow: true },
    );
    call.on('data', () => {
      received += 1;
      if (received === FLOWS) {
        call.cancel();
        resolve();
      }
    });
    call.on('error', (error: grpc.ServiceError) => (error.code === grpc.status.CANCELLED ? resolve() : reject(error)));
    call.on('end', () => resolve());
  });
  client.close();
  if (received < FLOWS) throw new Error(`the bare client got ${received} of ${FLOWS} messages`);
  const used = process.cpuUsage(cpu);
  return { rate: FLOWS / ((performance.now() - started) / 1000), cpuMicros: (used.user + used.system) / FLOWS };
}

/** Plain COPY of FLOWS flat 15-column rows into a scratch table. */
async function copyBaseline(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  await sql`create unlogged table if not exists bench_copy (t timestamptz, src_ns text, src_wl text, src_ip inet, dst_ns text, dst_wl text,
    dst_ip inet, dst_port int, protocol text, direction text, observed text, drop_reason text, label text, drift text, n bigint)`;
  const started = performance.now();
  const writable = await sql`copy bench_copy from stdin`.writable();
  const base = Date.UTC(2026, 0, 1);
  let i = 0;
  await new Promise<void>((resolve, reject) => {
    writable.on('error', reject);
    writable.on('finish', () => resolve());
    const pump = () => {
      while (i < FLOWS) {
        const t = new Date(base + i).toISOString();
        const line = `${t}\tshop\tfrontend\t10.0.${(i >> 8) & 255}.${i & 255}\tshop\tbackend\t10.1.0.${i & 255}\t8080\tTCP\tegress\tforwarded\t\\N\tallowed\t\\N\t1\n`;
        i += 1;
        if (!writable.write(line)) return void writable.once('drain', pump);
      }
      writable.end();
    };
    pump();
  });
  const rate = FLOWS / ((performance.now() - started) / 1000);
  await sql`drop table bench_copy`;
  await sql.end();
  return rate;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

interface RunFigures {
  readonly transport: number;
  readonly transportCpu: number;
  readonly rate: number;
  readonly share: number;
  readonly cpuPerFlow: number;
  readonly cpuRatio: number;
  readonly rssMb: number;
  readonly storedOnce: boolean;
}

/** One measurement: the baselines, then the pipeline, on the same relay and database. */
async function measure(run: number, url: string, relayAddress: string, snapshot: PolicySnapshot): Promise<RunFigures> {
  const say = (line: string) => process.stdout.write(`run ${run}  ${line}\n`);
  const { rate: transport, cpuMicros: transportCpu } = await bareClient(relayAddress, false);
  say(`baseline  transport ceiling (bare client, raw messages):  ${fmt(transport)} msg/s (client CPU ${transportCpu.toFixed(1)} µs/msg)`);
  const decoded = await bareClient(relayAddress, true);
  say(`baseline  bare client with protobuf decode only:          ${fmt(decoded.rate)} msg/s (client CPU ${decoded.cpuMicros.toFixed(1)} µs/msg)`);
  const copy = await copyBaseline(url);
  say(`baseline  plain COPY of ${fmt(FLOWS)} flat rows:                ${fmt(copy)} rows/s`);
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  await sql`truncate flow_records, connection_hours, evidence_flows, collector_events, collector_state`;
  await sql.end();
  const store = await FlowStore.open(url);
  await store.flowRecords.ensurePartitions();
  const pipeline = new FlowPipeline({ snapshot, id: null }, { store, windowMs: 10_000 });
  const source = new HubbleRelaySource(pipeline, { address: relayAddress });
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
  const started = performance.now();
  const cpu = process.cpuUsage();
  await source.start();
  await new Promise<void>((resolve) => {
    const check = setInterval(() => {
      if (pipeline.summary.flows >= FLOWS) {
        clearInterval(check);
        resolve();
      }
    }, 5);
  });
  await source.stop();
  await pipeline.close();
  const seconds = (performance.now() - started) / 1000;
  const cpuUsed = process.cpuUsage(cpu);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
  const totals = await store.flowRecords.totals();
  const stored = totals.reduce((n, t) => n + t.flows, 0);
  const records = totals.reduce((n, t) => n + t.records, 0);
  await store.close();
  const s = pipeline.summary;
  const rate = s.flows / seconds;
  const cpuPerFlow = (cpuUsed.user + cpuUsed.system) / s.flows;
  const figures = {
    transport, transportCpu, rate, share: rate / transport, cpuPerFlow, cpuRatio: cpuPerFlow / transportCpu,
    rssMb: peakRss / 1024 / 1024, storedOnce: stored === FLOWS - s.duplicates,
  };
  say(`pipeline  end to end (gRPC → normalize → classify → aggregate → Postgres): ${fmt(rate)} flows/s in ${seconds.toFixed(2)} s`);
  say(`          ${fmt(s.flows)} flows: ${fmt(s.allowed)} allowed, ${fmt(s.denied)} denied, ${fmt(s.unexpected)} unexpected, ${fmt(s.skipped)} skipped, ${fmt(s.duplicates)} duplicates; ` +
    `${fmt(stored)} flows stored in ${fmt(records)} records`);
  say(`          = ${(figures.share * 100).toFixed(1)}% of the transport ceiling; collector CPU ${cpuPerFlow.toFixed(1)} µs/flow = ` +
    `${figures.cpuRatio.toFixed(2)}x the bare client's (CPU ratio); peak RSS ${figures.rssMb.toFixed(0)} MB`);
  return figures;
}

async function main(): Promise<number> {
  const server = await resolveDatabase(loadConfig(), (line) => process.stderr.write(`${line}\n`));
  const name = `driftwatch_bench_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server.url, name);
  const url = withDatabase(server.url, name);
  const relay = await startRelay();
  try {
    await applyMigrations(url);
    process.stdout.write(`ingest benchmark: ${fmt(FLOWS)} synthetic Hubble flows, fake relay in its own process at ${relay.address}, ${RUNS} run(s)\n`);
    const cluster = createSyntheticCluster({ seed: SEED, namespaces: 8 });
    const loaded = loadManifests([{ name: 'synthetic.yaml', text: renderSyntheticPolicies(cluster) }]);
    const runs: RunFigures[] = [];
    for (let run = 1; run <= RUNS; run++) runs.push(await measure(run, url, relay.address, compileRevision(loaded, { revision: 1 })));
    const m = {
      rate: median(runs.map((r) => r.rate)),
      transport: median(runs.map((r) => r.transport)),
      share: median(runs.map((r) => r.share)),
      cpuPerFlow: median(runs.map((r) => r.cpuPerFlow)),
      transportCpu: median(runs.map((r) => r.transportCpu)),
      cpuRatio: median(runs.map((r) => r.cpuRatio)),
      rssMb: median(runs.map((r) => r.rssMb)),
    };
    process.stdout.write(
      `median of ${RUNS}: ${fmt(m.rate)} flows/s = ${(m.share * 100).toFixed(1)}% of the transport ceiling (${fmt(m.transport)} msg/s); ` +
        `collector CPU ${m.cpuPerFlow.toFixed(1)} µs/flow against ${m.transportCpu.toFixed(1)} µs/msg bare = CPU ratio ${m.cpuRatio.toFixed(2)}; peak RSS ${m.rssMb.toFixed(0)} MB\n`,
    );
    const checks = [
      [`end to end >= ${fmt(TARGET_RATE)} flows/s (median)`, m.rate >= TARGET_RATE],
      [`>= ${TARGET_SHARE * 100}% of the transport ceiling (median)`, m.share >= TARGET_SHARE],
      [`CPU ratio <= ${TARGET_CPU_RATIO.toFixed(1)} (median)`, m.cpuRatio <= TARGET_CPU_RATIO],
      [`peak RSS <= ${TARGET_RSS_MB} MB (median)`, m.rssMb <= TARGET_RSS_MB],
      ['every flow stored exactly once (every run)', runs.every((r) => r.storedOnce)],
    ] as const;
    for (const [what, ok] of checks) process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${what}\n`);
    return checks.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    relay.child.kill('SIGTERM');
    await dropDatabase(server.url, name);
    await server.close();
  }
}

process.exit(await main());
