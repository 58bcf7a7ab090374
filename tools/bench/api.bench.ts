// npm run bench:api [-- <records>]: the flow read API over HTTP, on a database of its own. Seeds <records> flow
// records (default 5,000,000) over 7 days and 200 namespaces inside PostgreSQL (INSERT … SELECT generate_series:
// 85% allowed, 8% unlabeled replies, 4% denied, 3% unexpected; each workload talks to 4 peers; the same statement
// adds them to the hourly rollup connection_hours, as the writer does), analyzes, starts
// `driftwatch serve` (its own process, no flow source) and prints p50/p95 of:
//   - GET /flows: one namespace, one label, a one-hour window, first page (100 records);
//   - the same namespace and label over the 7 days, page 50 (49 pages followed by cursor first, untimed);
//   - GET /connections over 24 hours, whole hours (500 edges: read from connection_hours);
// and the export's rows/s (NDJSON and CSV, a slice of about a million records), next to baselines measured in the
// same run: the same repository calls made in this process without HTTP (so the API's overhead shows), and
// `COPY (SELECT * …) TO STDOUT` of the same slice (what PostgreSQL sends without any formatting).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import postgres from 'postgres';
import { loadConfig, systemPath } from '@driftwatch/config';
import { decodeFlowRecordId } from '@driftwatch/contracts';
import {
  applyMigrations, dropDatabase, ensureDatabase, FlowQueries, insertSyntheticFlowRecords, resolveDatabase, withDatabase, type FlowRecordFilter,
} from '@driftwatch/persistence';
import { Prng } from '@driftwatch/common';

const RECORDS = Number(process.argv[2] ?? 5_000_000);
const NAMESPACES = 200;
const DAYS = 7;
const FIRST_PAGES = 200;
const DEEP_WALKS = 30;
const DEEP_PAGE = 50;
const CONNECTION_RUNS = 20;
const EXPORT_ROWS = 1_000_000;
const TARGET_FLOWS_P95_MS = 100;
const TARGET_CONNECTIONS_P95_MS = 500;
const TARGET_EXPORT_ROWS = 100_000;
const LABELS = ['allowed', 'denied', 'unexpected'] as const;
const HOUR = 3_600_000;
const root = join(import.meta.dirname, '..', '..');
const token = `bench-${randomBytes(24).toString('hex')}`;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const say = (line: string) => process.stdout.write(`${line}\n`);

const percentile = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
};
const latencies = (values: readonly number[]) => `p50 ${percentile(values, 50).toFixed(1)} ms, p95 ${percentile(values, 95).toFixed(1)} ms (n=${values.length})`;

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = performance.now();
  const result = await work();
  return [performance.now() - started, result];
}

/** `driftwatch serve` on a free port; resolves with its URL. */
function startServe(url: string): Promise<{ child: ChildProcess; apiUrl: string }> {
  const child = spawn(process.execPath, [join(root, 'apps', 'driftwatch', 'bin', 'driftwatch.js'), 'serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // no demo traffic, no per-key rate limit: the benchmark makes thousands of requests a minute with one key
    env: { PATH: systemPath(), DATABASE_URL: url, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', DRIFTWATCH_ADMIN_TOKEN: token, DEMO: 'off', RATE_LIMIT_PER_MINUTE: '0' },
  });
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    const timer = setTimeout(() => reject(new Error(`serve did not listen within 60 s:\n${lines.join('\n')}`)), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const match = /listening on (http:\/\/\S+?) /.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve({ child, apiUrl: match[1] as string });
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${lines.join('\n')}`)));
  });
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Reads a streamed answer to its end, counting lines and bytes without keeping them. */
function countLines(url: string): Promise<{ lines: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    get(url, { headers: { authorization: `Bearer ${token}` } }, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`${url}: ${response.statusCode}`));
      let lines = 0;
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      });
      response.once('end', () => resolve({ lines, bytes }));
      response.once('error', reject);
    }).once('error', reject);
  });
}

/** Times the API call and its in-process baseline, taking turns at going first (so neither always finds the cache warm). */
async function both<T>(viaApi: () => Promise<T>, direct: () => Promise<unknown>, turn: number): Promise<[number, T, number]> {
  if (turn % 2 === 1) {
    const [directMs] = await timed(direct);
    const [apiMs, result] = await timed(viaApi);
    return [apiMs, result, directMs];
  }
  const [apiMs, result] = await timed(viaApi);
  const [directMs] = await timed(direct);
  return [apiMs, result, directMs];
}

const query = (f: Record<string, string | number | Date | undefined>) =>
  Object.entries(f)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(v instanceof Date ? v.toISOString() : String(v))}`)
    .join('&');

async function main(): Promise<number> {
  const server = await resolveDatabase(loadConfig(), (line) => process.stderr.write(`${line}\n`));
  const name = `driftwatch_bench_api_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server.url, name);
  const url = withDatabase(server.url, name);
  let serve: ChildProcess | undefined;
  const queries = FlowQueries.open(url);
  const sql = postgres(url, { max: 1, onnotice: () => undefined });
  try {
    await applyMigrations(url);
    const to = new Date(Math.floor(Date.now() / HOUR) * HOUR);
    const from = new Date(to.getTime() - DAYS * 24 * HOUR);
    say(`api benchmark: ${fmt(RECORDS)} flow records over ${DAYS} days and ${NAMESPACES} namespaces`);
    const [seedMs] = await timed(() => insertSyntheticFlowRecords(url, { count: RECORDS, from, to, namespaces: NAMESPACES }));
    const [{ size } = { size: '?' }] = await sql<{ size: string }[]>`select pg_size_pretty(sum(pg_total_relation_size(inhrelid))) as size from pg_inherits where inhparent = 'flow_records'::regclass`;
    const [rollup = { rows: 0, size: '?' }] = await sql<{ rows: number; size: string }[]>`
      select count(*)::int as rows, pg_size_pretty(pg_total_relation_size('connection_hours')) as size from connection_hours`;
    say(`seeded in ${(seedMs / 1000).toFixed(1)} s (${fmt(RECORDS / (seedMs / 1000))} records/s, generated inside PostgreSQL with their hourly rollup, then ANALYZE); flow_records with indexes: ${size}; connection_hours: ${fmt(rollup.rows)} rows, ${rollup.size}`);
    const started = await startServe(url);
    serve = started.child;
    const api = `${started.apiUrl}/api/v1`;
    const prng = new Prng(7);
    const namespace = () => `ns-${String(prng.int(0, NAMESPACES - 1)).padStart(3, '0')}`;
    const label = () => LABELS[prng.int(0, LABELS.length - 1)] as string;
    const hourStart = () => new Date(from.getTime() + prng.int(1, DAYS * 24 - 2) * HOUR);

    // 1. one namespace, one label, one hour, first page
    const firstApi: number[] = [];
    const firstDirect: number[] = [];
    let firstRecords = 0;
    for (let i = 0; i < FIRST_PAGES + 20; i++) {
      const f = { from: hourStart(), namespace: namespace(), label: label() };
      const filter: FlowRecordFilter = { from: f.from, to: new Date(f.from.getTime() + HOUR), namespace: f.namespace, label: [f.label as 'allowed'] };
      const [viaApi, page, direct] = await both(
        () => getJson<{ records: unknown[] }>(`${api}/flows?${query({ ...f, to: filter.to, limit: 100 })}`),
        () => queries.records.page(filter, '*', undefined, 100),
        i,
      );
      if (i < 20) continue;
      firstApi.push(viaApi);
      firstDirect.push(direct);
      firstRecords += page.records.length;
    }
    say(`GET /flows, one namespace + one label + one hour, first page (${(firstRecords / FIRST_PAGES).toFixed(0)} records on average):`);
    say(`          over HTTP: ${latencies(firstApi)}`);
    say(`  baseline  the same repository call in-process (postgres.js, no HTTP): ${latencies(firstDirect)}`);

    // 2. the same filters over the 7 days, page 50
    const deepApi: number[] = [];
    const deepDirect: number[] = [];
    let shallowest = DEEP_PAGE;
    for (let walk = 0; walk < DEEP_WALKS; walk++) {
      const f = { from, to, namespace: namespace(), label: 'allowed' };
      let cursor: string | null = null;
      let page = 1;
      for (; page < DEEP_PAGE; page++) {
        const body: { nextCursor: string | null } = await getJson(`${api}/flows?${query({ ...f, limit: 100, cursor: cursor ?? undefined })}`);
        if (body.nextCursor === null) break;
        cursor = body.nextCursor;
      }
      shallowest = Math.min(shallowest, page);
      if (cursor === null) continue;
      const position = decodeFlowRecordId(cursor);
      const [viaApi, , direct] = await both(
        () => getJson(`${api}/flows?${query({ ...f, limit: 100, cursor: cursor ?? undefined })}`),
        () => queries.records.page({ from, to, namespace: f.namespace, label: ['allowed'] }, '*', position, 100),
        walk,
      );
      deepApi.push(viaApi);
      deepDirect.push(direct);
    }
    say(`GET /flows, one namespace + label allowed over ${DAYS} days, page ${shallowest < DEEP_PAGE ? `${shallowest} (the deepest every namespace had)` : DEEP_PAGE} by cursor:`);
    say(`          over HTTP: ${deepApi.length ? latencies(deepApi) : 'no namespace had that many pages'}`);
    say(`  baseline  the same repository call in-process: ${deepDirect.length ? latencies(deepDirect) : '-'}`);

    // 3. connections over 24 h
    const connApi: number[] = [];
    const connDirect: number[] = [];
    let edges = 0;
    for (let i = 0; i < CONNECTION_RUNS + 2; i++) {
      const start = new Date(from.getTime() + prng.int(0, (DAYS - 1) * 24) * HOUR);
      const end = new Date(start.getTime() + 24 * HOUR);
      const [viaApi, body, direct] = await both(
        () => getJson<{ edges: unknown[] }>(`${api}/connections?${query({ from: start, to: end, limit: 500 })}`),
        () => queries.connections.edges({ from: start, to: end }, '*', 500),
        i,
      );
      if (i < 2) continue;
      connApi.push(viaApi);
      connDirect.push(direct);
      edges = body.edges.length;
    }
    say(`GET /connections over 24 whole hours (${edges} edges answered from about ${fmt(rollup.rows / DAYS)} rows of connection_hours, summing about ${fmt(RECORDS / DAYS)} records):`);
    say(`          over HTTP: ${latencies(connApi)}`);
    say(`  baseline  the same repository call in-process: ${latencies(connDirect)}`);

    // 4. export
    const slice = { from: new Date(to.getTime() - Math.min(1, EXPORT_ROWS / RECORDS) * DAYS * 24 * HOUR), to };
    const [copyMs, copied] = await timed(async () => {
      let lines = 0;
      // COPY takes no parameters: the two times are ISO strings this script made
      const readable = await sql
        .unsafe(`copy (select * from flow_records where window_start >= '${slice.from.toISOString()}' and window_start < '${slice.to.toISOString()}') to stdout`)
        .readable();
      for await (const chunk of readable as AsyncIterable<Buffer>) for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      return lines;
    });
    const rates: Record<string, number> = {};
    for (const format of ['ndjson', 'csv'] as const) {
      const [ms, { lines, bytes }] = await timed(() => countLines(`${api}/flows/export?${query({ ...slice, format })}`));
      const rows = format === 'csv' ? lines - 1 : lines;
      rates[format] = rows / (ms / 1000);
      say(`GET /flows/export?format=${format}: ${fmt(rows)} records, ${(bytes / 1e6).toFixed(0)} MB in ${(ms / 1000).toFixed(2)} s = ${fmt(rates[format] ?? 0)} records/s`);
    }
    say(`  baseline  COPY (SELECT * …) TO STDOUT of the same ${fmt(copied)} records: ${fmt(copied / (copyMs / 1000))} rows/s`);

    const checks = [
      [`flow query, first page: p95 <= ${TARGET_FLOWS_P95_MS} ms`, percentile(firstApi, 95) <= TARGET_FLOWS_P95_MS],
      [`flow query, page ${DEEP_PAGE}: p95 <= ${TARGET_FLOWS_P95_MS} ms`, deepApi.length > 0 && shallowest === DEEP_PAGE && percentile(deepApi, 95) <= TARGET_FLOWS_P95_MS],
      [`connections over 24 h: p95 <= ${TARGET_CONNECTIONS_P95_MS} ms`, percentile(connApi, 95) <= TARGET_CONNECTIONS_P95_MS],
      [`export >= ${fmt(TARGET_EXPORT_ROWS)} records/s (NDJSON and CSV)`, (rates['ndjson'] ?? 0) >= TARGET_EXPORT_ROWS && (rates['csv'] ?? 0) >= TARGET_EXPORT_ROWS],
    ] as const;
    for (const [what, ok] of checks) say(`${ok ? 'ok  ' : 'MISS'}  ${what}`);
    return checks.every(([, ok]) => ok) ? 0 : 1;
  } finally {
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await new Promise((resolve) => serve?.once('exit', resolve));
    }
    await queries.close();
    await sql.end();
    await dropDatabase(server.url, name);
    await server.close();
  }
}

process.exit(await main());
