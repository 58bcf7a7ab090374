// npm run bench:alerts [-- <alerts> [<background flows/s>] [<webhook events>]]: drift alert latency end to end, and
// webhook throughput. For each phase (with a background of ordinary traffic, then with none) it starts a fake Hubble
// Relay in its own process and `driftwatch serve` (the real binary, its own process) reading from it, connects a
// socket.io client with `subscribe {}`, then writes <alerts> drift flows (distinct alert keys: one port each, one
// flow each) to the relay's stream 25 ms apart and measures, per alert, the time from the write (a clock reading in
// the relay process just before it) to its `alert.opened` at the client: Hubble client → pipeline → drift detector
// → alert_events + NOTIFY → the API's event feed → socket.io. Prints p50, p99 and max per phase against the target
// (p99 ≤ 250 ms with background), then runs tools/bench/webhooks.bench.ts (<webhook events>, default 1,000, to a
// local receiver: deliveries/s). One database for the run, created and dropped; each phase is cut after 90 s.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { io } from 'socket.io-client';
import { loadConfig, systemPath } from '@driftwatch/config';
import { applyMigrations, dropDatabase, ensureDatabase, FlowStore, resolveDatabase, withDatabase } from '@driftwatch/persistence';
import { createSyntheticCluster, renderSyntheticPolicies } from '@driftwatch/testing';

const ALERTS = Number(process.argv[2] ?? 200);
const BACKGROUND = Number(process.argv[3] ?? 10_000);
const WEBHOOK_EVENTS = Number(process.argv[4] ?? 1_000);
const SEED = 5;
const SPACING_MS = 25;
const WARM_UP_MS = 3000;
const PHASE_LIMIT_MS = 90_000;
const TARGET_P99_MS = 250;
const root = join(import.meta.dirname, '..', '..');
const now = () => performance.timeOrigin + performance.now();
const token = `bench-${randomBytes(24).toString('hex')}`;

/** A child process whose stdout lines can be awaited. */
interface Child {
  readonly process: ChildProcess;
  readonly lines: string[];
  line(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

function start(args: string[], env: NodeJS.ProcessEnv, stderr: 'inherit' | 'pipe' = 'inherit'): Child {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', stderr], env });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const wake of waiters) wake();
  });
  if (stderr === 'pipe') {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      lines.push(line);
      for (const wake of waiters) wake();
    });
  }
  return {
    process: child,
    lines,
    exited,
    line(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = () => {
          for (const line of lines) {
            const match = pattern.exec(line);
            if (match) {
              waiters.delete(check);
              clearTimeout(timer);
              resolve(match);
              return;
            }
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got:\n${lines.slice(-20).join('\n')}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then((code) => {
          if (!waiters.has(check)) return;
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`the process exited with ${code} before a line matching ${pattern}:\n${lines.slice(-20).join('\n')}`));
        });
        check();
      });
    },
  };
}

async function stopChild(child: Child): Promise<number | null> {
  if (child.process.exitCode !== null) return child.process.exitCode;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 15_000);
  const code = await child.exited;
  clearTimeout(timer);
  return code;
}

const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

interface PhaseFigures {
  readonly label: string;
  readonly received: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

async function storedFlows(url: string): Promise<number> {
  const store = await FlowStore.open(url);
  try {
    return (await store.flowRecords.totals()).reduce((n, t) => n + t.flows, 0);
  } finally {
    await store.close();
  }
}

async function phase(label: string, rate: number, portBase: number, url: string, policies: string): Promise<PhaseFigures> {
  const say = (line: string) => process.stdout.write(`${label.padEnd(16)} ${line}\n`);
  const storedBefore = await storedFlows(url);
  const relay = start([join(root, 'tools', 'run-ts.js'), join(root, 'tools', 'bench', 'alerts-relay-process.ts'), String(SEED), String(rate)], process.env);
  let serve: Child | undefined;
  const socket = { close: () => undefined } as { close(): void };
  try {
    const port = (await relay.line(/^port (\d+)$/, 30_000))[1] as string;
    serve = start([join(root, 'apps', 'driftwatch', 'bin', 'driftwatch.js'), 'serve'], {
      PATH: systemPath(), DATABASE_URL: url, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', HUBBLE_ADDRESS: `127.0.0.1:${port}`,
      POLICY_DIR: policies, DRIFTWATCH_ADMIN_TOKEN: token,
    }, 'pipe');
    const apiUrl = (await serve.line(/listening on (http:\/\/\S+?) /, 60_000))[1] as string;
    const client = io(apiUrl, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { token } });
    socket.close = () => client.close();
    const opened = new Map<number, number>();
    let allOpened: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allOpened = resolve));
    client.on('alert.opened', (event: { alert: { dstPort: number | null } }) => {
      const at = now();
      const p = event.alert.dstPort;
      if (p === null || p < portBase || p >= portBase + ALERTS || opened.has(p)) return;
      opened.set(p, at);
      if (opened.size === ALERTS) allOpened();
    });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('connect_error', reject);
    });
    const ack = (await client.timeout(5000).emitWithAck('subscribe', {})) as { ok: boolean };
    if (!ack.ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
    await relay.line(/^connected$/, 30_000);
    await new Promise((resolve) => setTimeout(resolve, WARM_UP_MS)); // serve settles (and the background runs at full rate) before drift starts
    const firstSent = now();
    for (let i = 0; i < ALERTS; i++) {
      relay.process.stdin!.write(`drift ${portBase + i}\n`);
      await new Promise((resolve) => setTimeout(resolve, SPACING_MS));
    }
    const limit = new Promise<void>((resolve) => setTimeout(resolve, Math.max(1000, PHASE_LIMIT_MS - (now() - firstSent))).unref());
    await Promise.race([done, limit]);
    relay.process.stdin!.write('report\n');
    const [, flows, seconds] = (await relay.line(/^background (\d+) ([\d.]+)$/, 10_000)) as unknown as [string, string, string];
    const sent = new Map<number, number>();
    for (const line of relay.lines) {
      const match = /^sent (\d+) ([\d.]+)$/.exec(line);
      if (match) sent.set(Number(match[1]), Number(match[2]));
    }
    const latencies: number[] = [];
    for (const [p, at] of opened) {
      const from = sent.get(p);
      if (from !== undefined) latencies.push(at - from);
    }
    latencies.sort((a, b) => a - b);
    if (latencies.length === 0) throw new Error(`no alert.opened arrived within ${PHASE_LIMIT_MS} ms`);
    client.close();
    const code = await stopChild(serve);
    const stored = (await storedFlows(url)) - storedBefore;
    const figures = { label, received: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies[latencies.length - 1] as number };
    say(
      rate > 0
        ? `background: ${Number(flows).toLocaleString('en-US')} ordinary flows written in ${seconds} s (${Math.round(Number(flows) / Number(seconds)).toLocaleString('en-US')}/s); serve stored ${stored.toLocaleString('en-US')} flows and exited ${code}`
        : `background: none; serve stored ${stored.toLocaleString('en-US')} flows and exited ${code}`,
    );
    say(`${figures.received} of ${ALERTS} alert.opened received; write to relay stream → alert.opened at the client: p50 ${figures.p50.toFixed(1)} ms, p99 ${figures.p99.toFixed(1)} ms, max ${figures.max.toFixed(1)} ms`);
    return figures;
  } finally {
    socket.close();
    if (serve) await stopChild(serve);
    await stopChild(relay);
  }
}

async function webhooks(): Promise<number | null> {
  const child = spawn(process.execPath, [join(root, 'tools', 'run-ts.js'), join(root, 'tools', 'bench', 'webhooks.bench.ts'), String(WEBHOOK_EVENTS), '1'], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function main(): Promise<number> {
  const server = await resolveDatabase(loadConfig(), (line) => process.stderr.write(`[bench database] ${line}\n`));
  const name = `driftwatch_bench_alerts_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server.url, name);
  const url = withDatabase(server.url, name);
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-bench-alerts-'));
  try {
    await applyMigrations(url);
    await writeFile(join(dir, 'policies.yaml'), renderSyntheticPolicies(createSyntheticCluster({ seed: SEED, namespaces: 8 })));
    process.stdout.write(
      `alerts benchmark: ${ALERTS} drift alerts (distinct keys, one flow each, ${SPACING_MS} ms apart) from a fake Hubble Relay (own process) ` +
        `through driftwatch serve (own process) to a socket.io client\n`,
    );
    const phases: PhaseFigures[] = [];
    if (BACKGROUND > 0) phases.push(await phase(`${BACKGROUND.toLocaleString('en-US')} flows/s`, BACKGROUND, 20_000, url, dir));
    phases.push(await phase('no background', 0, 30_000, url, dir));
    const withBackground = BACKGROUND > 0 ? phases[0] : undefined;
    const checks: [string, boolean][] = phases.map((p) => [`${p.label}: every alert.opened received (${p.received} of ${ALERTS})`, p.received === ALERTS]);
    if (withBackground) checks.push([`p99 <= ${TARGET_P99_MS} ms with ${withBackground.label} in the background (${withBackground.p99.toFixed(1)} ms)`, withBackground.p99 <= TARGET_P99_MS]);
    for (const [what, ok] of checks) process.stdout.write(`${ok ? 'ok  ' : 'MISS'}  ${what}\n`);
    const hooks = await webhooks();
    return checks.every(([, ok]) => ok) && hooks === 0 ? 0 : 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await dropDatabase(server.url, name);
    await server.close();
  }
}

process.exit(await main());
