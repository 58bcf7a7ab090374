// npm run bench:whatif [-- <records> [<distinct connections>]]: writes <records> flow records (default 1,000,000)
// of a synthetic cluster through the flow repositories into a database of its own (<distinct connections>
// connection keys, default 50,000, each repeated over windows; pods with endpoint identities, external peers by
// address), then runs the what-if the REST route and the CLI run (cursor over connections summed in Postgres,
// the candidate compiled once, the engine's warm cache) against a candidate that drops the cache tier's policies.
// Measured twice (a cold and a warm Postgres cache), each after a baseline from the same run: the flow totals of
// the range (`FlowRecordRepository.totals`: one scan summing the same records, the floor of reading them in
// Postgres). Target: the what-if of the cold run in <= 10 s.
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@driftwatch/config';
import { declaredFor, isPolicyProtocol, judgeConnection } from '@driftwatch/flow';
import {
  applyMigrations, dropDatabase, ensureDatabase, FlowStore, ReportStore, resolveDatabase, runWhatIf, withDatabase,
  type EndpointIdentityRow, type FlowRecordRow,
} from '@driftwatch/persistence';
import { compileRevision, loadManifests, type Endpoint, type PolicySnapshot } from '@driftwatch/policy-engine';
import { Prng } from '@driftwatch/common';
import { createSyntheticCluster, renderSyntheticPolicies, type SyntheticWorkload } from '@driftwatch/testing';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const CONNECTIONS = Math.min(Number(process.argv[3] ?? 50_000), RECORDS);
const TARGET_SECONDS = 10;
const BATCH = 20_000;
const WINDOW = 10_000;
const START = Date.UTC(2026, 2, 2);
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

interface Template {
  readonly src: SyntheticWorkload;
  readonly dst: SyntheticWorkload | string;
  readonly port: number;
  readonly protocol: string;
  readonly direction: 'egress' | 'ingress';
  readonly observed: 'forwarded' | 'dropped';
  readonly dropReason: string | null;
  readonly label: 'allowed' | 'denied' | 'unexpected';
}

/** Connection keys: 60% pod → pod (any pair and port of the cluster, mostly forwarded), 40% pod → an external address. */
function templates(snapshot: PolicySnapshot, workloads: readonly SyntheticWorkload[], prng: Prng): Template[] {
  const list: Template[] = [];
  const endpoint = (w: SyntheticWorkload): Endpoint => snapshot.endpoint(w.namespace, w.name) as Endpoint;
  for (let i = 0; i < CONNECTIONS; i++) {
    const src = workloads[prng.int(0, workloads.length - 1)] as SyntheticWorkload;
    const toPod = prng.int(0, 9) < 6;
    const dst = toPod ? (workloads[prng.int(0, workloads.length - 1)] as SyntheticWorkload) : `203.${prng.int(0, 255)}.${prng.int(0, 255)}.${prng.int(1, 254)}`;
    const port = typeof dst === 'string' ? 443 : (dst.ports[prng.int(0, dst.ports.length - 1)]?.port ?? 80);
    const direction = typeof dst === 'string' || prng.int(0, 1) === 0 ? 'egress' : 'ingress';
    const dropped = prng.int(0, 19) === 0;
    const observed = dropped ? 'dropped' : 'forwarded';
    const dropReason = dropped ? 'POLICY_DENIED' : null;
    const decision = snapshot.evaluate(endpoint(src), typeof dst === 'string' ? { kind: 'external', ip: dst } : endpoint(dst), port, 'TCP');
    const label = judgeConnection(observed, dropped, isPolicyProtocol('TCP') ? declaredFor(decision, direction) : undefined).label;
    list.push({ src, dst, port, protocol: 'TCP', direction, observed, dropReason, label });
  }
  return list;
}

async function seed(url: string, snapshot: PolicySnapshot, workloads: readonly SyntheticWorkload[]): Promise<void> {
  const store = await FlowStore.open(url);
  try {
    const identities = new Map<SyntheticWorkload, EndpointIdentityRow>();
    workloads.forEach((w, i) => {
      const namespaceLabels = snapshot.namespaceLabels(w.namespace) ?? null;
      identities.set(w, { id: String(1000 + i), namespace: w.namespace, labels: w.labels, namespaceLabels });
    });
    const list = templates(snapshot, workloads, new Prng(7));
    let written = 0;
    let batch: FlowRecordRow[] = [];
    let first = true;
    const flush = async () => {
      await store.writeBatch({ identities: first ? [...identities.values()] : [], records: batch, evidence: [], events: [], states: [] });
      first = false;
      written += batch.length;
      batch = [];
      process.stderr.write(`\rseeding: ${fmt(written)} records`);
    };
    for (let i = 0; i < RECORDS; i++) {
      const t = list[i % list.length] as Template;
      const window = START + Math.floor(i / list.length) * WINDOW;
      const dstPod = typeof t.dst === 'string' ? undefined : t.dst;
      batch.push({
        windowStart: new Date(window), windowEnd: new Date(window + WINDOW), source: 'hubble', cluster: '', srcNamespace: t.src.namespace,
        srcWorkload: t.src.name, srcIp: null, dstNamespace: dstPod?.namespace ?? null, dstWorkload: dstPod?.name ?? null,
        dstIp: dstPod === undefined ? (t.dst as string) : null, dstPort: t.port, protocol: t.protocol, direction: t.direction, observed: t.observed,
        dropReason: t.dropReason, event: 'connection', label: t.label, driftKind: null, policyRevisionId: 1, flowCount: 1 + (i % 7),
        firstSeen: new Date(window), lastSeen: new Date(window), sampleFlowId: null, issues: [],
        srcIdentity: identities.get(t.src)?.id ?? null, dstIdentity: dstPod === undefined ? '0' : (identities.get(dstPod)?.id ?? null),
        allowedBy: null,
      });
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    process.stderr.write('\n');
  } finally {
    await store.close();
  }
}

async function main(): Promise<number> {
  const server = await resolveDatabase(loadConfig(), (line) => process.stderr.write(`${line}\n`));
  const name = `driftwatch_bench_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server.url, name);
  const url = withDatabase(server.url, name);
  const reports = ReportStore.open(url, { max: 2, statementTimeoutMs: 600_000 });
  try {
    await applyMigrations(url);
    const cluster = createSyntheticCluster({ seed: 5, namespaces: 8 });
    const loaded = loadManifests([{ name: 'synthetic.yaml', text: renderSyntheticPolicies(cluster) }]);
    const active = compileRevision(loaded, { revision: 1 });
    const workloads = [...cluster.workloads, cluster.dns];
    process.stdout.write(`what-if benchmark: ${fmt(RECORDS)} flow records, ${fmt(CONNECTIONS)} distinct connections, ${workloads.length} workloads, ${loaded.policies.length} policies\n`);
    const seeding = performance.now();
    await seed(url, active, workloads);
    process.stdout.write(`seeded in ${((performance.now() - seeding) / 1000).toFixed(1)} s (not measured)\n`);

    const candidate = compileRevision({ ...loaded, policies: loaded.policies.filter((p) => !p.name.includes('cache')) }, { revision: 2 });
    const range = { from: new Date(START), to: new Date(START + 86_400_000), scope: '*' as const, timeLimitMs: 600_000 };
    const seconds: number[] = [];
    const flows = await FlowStore.open(url, 1);
    try {
      for (const run of ['cold', 'warm']) {
        const floor = performance.now();
        const totals = await flows.flowRecords.totals(range.from, range.to);
        const floorSeconds = (performance.now() - floor) / 1000;
        const started = performance.now();
        const result = await runWhatIf(reports.reader(), { snapshot: candidate, revision: 2 }, range);
        const elapsed = (performance.now() - started) / 1000;
        seconds.push(elapsed);
        process.stdout.write(
          `${run}  baseline  totals of the range in Postgres (${fmt(totals.reduce((n, t) => n + t.records, 0))} records): ${floorSeconds.toFixed(2)} s\n` +
            `${run}  what-if   ${fmt(result.totals.records)} records (${fmt(result.totals.flows)} flows) judged in ${elapsed.toFixed(2)} s = ` +
            `${fmt(result.totals.records / elapsed)} records/s, ${(elapsed / floorSeconds).toFixed(1)}x the baseline; ` +
            `${result.transitions.map((t) => `${t.from}→${t.to} ${fmt(t.records)}`).join(', ') || 'no transition'}; ` +
            `unchanged ${fmt(result.totals.unchanged)}, approximate ${fmt(result.totals.approximate)}; heap ${fmt(process.memoryUsage().heapUsed / 1048576)} MB\n`,
        );
        if (result.totals.records !== RECORDS) throw new Error(`read ${result.totals.records} records, wrote ${RECORDS}`);
      }
    } finally {
      await flows.close();
    }
    const ok = (seconds[0] ?? Infinity) <= TARGET_SECONDS;
    process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${fmt(RECORDS)} records judged in <= ${TARGET_SECONDS} s (cold run)\n`);
    return ok ? 0 : 1;
  } finally {
    await reports.close();
    await dropDatabase(server.url, name);
    await server.close();
  }
}

process.exit(await main());
