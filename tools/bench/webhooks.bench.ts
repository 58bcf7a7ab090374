// node tools/run-ts.js tools/bench/webhooks.bench.ts [<events>] [<webhooks>]: webhook throughput. Writes <events>
// alert events (default 1,000) and their deliveries through the outbox (enqueueWebhookDeliveries, one transaction)
// to <webhooks> webhooks (default 1) that all point at one local receiver, starts a dispatcher with its defaults,
// and prints deliveries/s until every delivery is recorded as delivered; next to the rate of bare node:http POSTs
// of the same bodies to the same receiver with the same concurrency (the transport ceiling), measured in the same run.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { WebhookDispatcher } from '@driftwatch/alerts';
import { loadConfig } from '@driftwatch/config';
import { applyMigrations, dropDatabase, enqueueWebhookDeliveries, ensureDatabase, resolveDatabase, withDatabase } from '@driftwatch/persistence';

const EVENTS = Number(process.argv[2] ?? 1_000);
const WEBHOOKS = Number(process.argv[3] ?? 1);
const PER_WEBHOOK = 8; // the dispatcher's default
const CONCURRENCY = 64; // the dispatcher's default

async function main(): Promise<void> {
  const server = await resolveDatabase(loadConfig(), (line) => process.stderr.write(`[bench database] ${line}\n`));
  const name = `driftwatch_bench_webhooks_${randomBytes(4).toString('hex')}`;
  await ensureDatabase(server.url, name);
  const url = withDatabase(server.url, name);
  const sql = postgres(url, { max: 2, onnotice: () => undefined });
  const seen = new Set<string>();
  const receiver = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const delivery = req.headers['x-driftwatch-delivery'];
      if (typeof delivery === 'string') seen.add(delivery);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  try {
    await applyMigrations(url);
    for (let i = 0; i < WEBHOOKS; i++) {
      await sql`insert into webhooks (name, url, secret) values (${`bench-${i}`}, ${target}, ${`whsec_${randomBytes(32).toString('base64url')}`})`;
    }
    const payload = { alert: { id: '1', status: 'open', severity: 'high', driftKind: 'unenforced-deny', srcNamespace: 'shop', dstNamespace: 'payments', dstPort: 5432, protocol: 'TCP', flowCount: 1 } };
    const [alert] = await sql<{ id: string }[]>`
      insert into alerts (connection_key, drift_kind, explanation, first_seen, last_seen, protocol, severity)
      values ('bench', 'unenforced-deny', '{}', now(), now(), 'TCP', 'high') returning id::text`;
    const enqueueStarted = performance.now();
    const enqueued = await sql.begin(async (tx) => {
      const ids = await tx<{ id: string }[]>`
        insert into alert_events (alert_id, type, payload)
        select ${alert!.id}::int8, 'alert.opened', ${sql.json(payload as never)} from generate_series(1, ${EVENTS}) returning id::text`;
      return enqueueWebhookDeliveries(tx, ids.map((e) => ({ id: e.id, type: 'alert.opened', severity: 'high', srcNamespace: 'shop', dstNamespace: 'payments' })));
    });
    const enqueueMs = performance.now() - enqueueStarted;

    const started = performance.now();
    const dispatcher = await WebhookDispatcher.start({ databaseUrl: url, version: 'bench', allowPrivateNetworks: true });
    for (;;) {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from webhook_deliveries where status = 'delivered'`;
      if ((row?.n ?? 0) >= enqueued) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    await dispatcher.stop();
    if (seen.size !== enqueued) throw new Error(`the receiver saw ${seen.size} distinct deliveries of ${enqueued}`);
    const [attempts] = await sql<{ n: number }[]>`select count(*)::int as n from webhook_attempts`;

    // The transport ceiling: the same number of POSTs of a body of the same size, same concurrency, no database.
    const body = JSON.stringify({ id: '1', type: 'alert.opened', createdAt: new Date().toISOString(), alert: payload });
    const agent = new http.Agent({ keepAlive: true });
    const bareStarted = performance.now();
    let next = 0;
    const lanes = Math.min(CONCURRENCY, PER_WEBHOOK * WEBHOOKS);
    await Promise.all(
      Array.from({ length: lanes }, async () => {
        while (next < enqueued) {
          next += 1;
          await new Promise<void>((resolve, reject) => {
            const req = http.request(target, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
              res.resume();
              res.on('end', resolve);
            });
            req.on('error', reject);
            req.end(body);
          });
        }
      }),
    );
    const bareSeconds = (performance.now() - bareStarted) / 1000;
    agent.destroy();

    const rate = enqueued / seconds;
    const ceiling = enqueued / bareSeconds;
    process.stdout.write(
      [
        `webhooks: ${EVENTS} events × ${WEBHOOKS} webhook(s) = ${enqueued} deliveries, enqueued through the outbox in ${Math.round(enqueueMs)} ms (one transaction)`,
        `  dispatcher: ${rate.toFixed(0)} deliveries/s (${seconds.toFixed(2)} s; ${PER_WEBHOOK} in flight per webhook, ${CONCURRENCY} in all; ${attempts?.n} attempts, ${seen.size} distinct delivery ids received)`,
        `  baseline:   ${ceiling.toFixed(0)} bare POSTs/s with ${lanes} in flight (${((rate / ceiling) * 100).toFixed(0)}% of it)`,
        '',
      ].join('\n'),
    );
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    await sql.end();
    await dropDatabase(server.url, name);
    await server.close();
  }
}

await main();
