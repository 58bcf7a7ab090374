import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '@driftwatch/config';
import { generateAdminToken } from '@driftwatch/api';
import { DriftwatchMetrics, startMetricsServer, type MetricsServer } from '@driftwatch/metrics';
import { AlertStore, FlowStore, RetentionJob } from '@driftwatch/persistence';
import { checkDeclaredPolicies, PolicyInputError } from '@driftwatch/policy-source';
import { CliError, parseCommandArgs, type CliIo } from '../cli.js';
import { WebhookDispatcher } from '@driftwatch/alerts';
import { clientTls, serverTls, SourceSetupError, startCollection, type Collection, type SourceSpec } from '@driftwatch/collector';
import type { DemoHubbleServer } from '@driftwatch/demo';
import { appLogger, configOrExit, migrateOrExit, openDatabase } from '../database.js';
import { startDemoSource } from '../demo-source.js';
import { startDriftDetection } from '../drift-detection.js';
import { LiveStatus } from '../live-status.js';
import { createApp } from '../server.js';
import { untilStopSignal } from '../shutdown.js';
import { version } from '../version.js';

export const usage = `usage: driftwatch serve

Runs the REST API under /api/v1 (GET /api/v1/health) and the live page at / after applying pending
migrations, and the flow collectors configured by the environment: HUBBLE_ADDRESS, GOLDMANE_ADDRESS,
FELIX_LISTEN, INGEST_LISTEN, with the declared policies of POLICY_DIR (default: the example policies in
examples/shop/policies), and delivers the webhooks' outbox (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true lets webhooks
reach private addresses). With no source configured it plays the built-in demo source (examples/shop traffic
with drift, DEMO_RATE flows/s, through the real Hubble client); DEMO=off turns it off.
The API documents itself at /api/v1/docs (OpenAPI 3.1: /api/v1/openapi.json).
Every endpoint but health, the docs and the page needs an API key (Authorization: Bearer <key>): see
\`driftwatch keys\`, or set DRIFTWATCH_ADMIN_TOKEN; when neither exists, each start makes an admin token for that
run and prints it. A live status line (flows/s by label, open alerts) follows: redrawn in place on a terminal,
else every 10 s.
Configuration comes from the environment (see README.md): HOST, PORT, DATABASE_URL, LOG_LEVEL, HTTP_BODY_LIMIT,
CORS_ORIGINS, RATE_LIMIT_PER_MINUTE, ...
A POLICY_DIR that does not exist is a configuration error, and declared policies with any problem (see
driftwatch validate) stop the start with exit 2. At start (and on SIGHUP) the POLICY_DIR revision is put in
force for every collecting process; POST /api/v1/policies/{rev}/activate switches them all to another revision
until the next activation, restart or SIGHUP. SIGHUP reloads the policies (a set with problems is refused and the
running revision kept). SIGINT or SIGTERM stop cleanly within 25 s: the sources stop, open windows are
written, webhook attempts in flight finish, socket.io clients get \`server.shutdown\`; exit 0 (1 when something
could not be finished in time). GET /metrics serves Prometheus metrics (METRICS_TOKEN protects it;
METRICS_LISTEN serves it on a port of its own as well). Every hour (and at start) flows older than
FLOW_RETENTION_DAYS (30) and evidence older than EVIDENCE_RETENTION_DAYS (7) are dropped, by whole daily partitions.`;

const examplePolicies = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'shop', 'policies');

/** The flow sources the environment configures. */
export function configuredSources(config: Config): SourceSpec[] {
  const specs: SourceSpec[] = [];
  if (config.HUBBLE_ADDRESS) specs.push({ kind: 'hubble', address: config.HUBBLE_ADDRESS });
  if (config.GOLDMANE_ADDRESS) specs.push({ kind: 'goldmane', address: config.GOLDMANE_ADDRESS });
  if (config.FELIX_LISTEN) specs.push({ kind: 'felix', address: config.FELIX_LISTEN });
  if (config.INGEST_LISTEN) specs.push({ kind: 'ingest', address: config.INGEST_LISTEN });
  return specs;
}

/** POLICY_DIR (or the example policies), which must exist: checked at start, before the database is chosen. */
async function policyDirOrExit(config: Config): Promise<string> {
  const path = config.POLICY_DIR ?? examplePolicies;
  await stat(path).catch((error: NodeJS.ErrnoException) => {
    const reason = error.code === 'ENOENT' ? 'no such file or directory' : error.code === 'EACCES' ? 'permission denied' : (error.code ?? error.message);
    throw new CliError(`invalid configuration: POLICY_DIR: ${reason} (got ${JSON.stringify(path)})`, 2);
  });
  return path;
}

/**
 * The admin token of this run and the line that says so: DRIFTWATCH_ADMIN_TOKEN (never printed); else, when no API
 * key can be used (none, or all revoked), a token made now for this run only; else none (use a key).
 */
async function adminTokenOfRun(config: Config, databaseUrl: string): Promise<{ token: string | undefined; line: string }> {
  if (config.DRIFTWATCH_ADMIN_TOKEN) return { token: config.DRIFTWATCH_ADMIN_TOKEN, line: 'admin token: DRIFTWATCH_ADMIN_TOKEN is in use' };
  const store = AlertStore.open(databaseUrl, 1);
  try {
    if (await store.keys.anyActive()) {
      return { token: undefined, line: 'admin token: none for this run: API keys exist, use one (driftwatch keys), or set DRIFTWATCH_ADMIN_TOKEN' };
    }
  } finally {
    await store.close();
  }
  const token = generateAdminToken();
  return { token, line: `admin token: ${token} (this run only: paste it into the page, or send Authorization: Bearer <token>)` };
}

/** Resolves when the server has been stopped by a signal. */
export async function run(args: readonly string[], processIo: CliIo): Promise<number> {
  parseCommandArgs(args, {});
  const config = configOrExit();
  const policies = await policyDirOrExit(config);
  const status = new LiveStatus(processIo);
  const io = status.io; // on a terminal, every write makes way for the live status line
  const logger = appLogger(config, io);
  const specs = configuredSources(config);
  // A set with problems is refused before a database is touched (also when no source uses the policies yet).
  await checkDeclaredPolicies(policies);
  const database = await openDatabase(io, config, logger);
  try {
    const applied = await migrateOrExit(database.url, logger);
    if (applied.length > 0) logger.notice(`applied ${applied.length} migration(s): ${applied.join(', ')}`);
    const metrics = new DriftwatchMetrics({ version });
    const admin = await adminTokenOfRun(config, database.url);
    let store: FlowStore | undefined;
    let collection: Collection | undefined;
    let detection: ReturnType<typeof startDriftDetection> | undefined;
    const demo: DemoHubbleServer | undefined = await startDemoSource(config, specs, policies, examplePolicies, logger);
    if (specs.length > 0) {
      store = await FlowStore.open(database.url);
      detection = startDriftDetection(database.url, config, logger);
      const tls = clientTls(config.FLOW_SOURCE_TLS_CA, config.FLOW_SOURCE_TLS_CERT, config.FLOW_SOURCE_TLS_KEY, config.FLOW_SOURCE_TLS_SERVER_NAME);
      const serverTlsOptions = serverTls(config.SOURCE_SERVER_TLS_CERT, config.SOURCE_SERVER_TLS_KEY, config.SOURCE_SERVER_TLS_CLIENT_CA);
      collection = await startCollection({
        ...(serverTlsOptions ? { serverTls: serverTlsOptions } : {}),
        store,
        policies,
        sources: specs,
        windowSeconds: config.FLOW_WINDOW_SECONDS,
        logger,
        observers: detection.observers,
        ...(tls ? { tls } : {}),
        ...(config.SOURCE_SERVER_TOKEN ? { serverToken: config.SOURCE_SERVER_TOKEN } : {}),
        serverAllowPlaintext: config.SOURCE_SERVER_ALLOW_PLAINTEXT,
      }).catch(async (error: Error) => {
        await detection?.stop();
        await store?.close();
        await demo?.stop();
        if (error instanceof SourceSetupError) throw new CliError(error.message, 2);
        throw error instanceof CliError || error instanceof PolicyInputError ? error : new CliError(error.message);
      });
      metrics.watchPipeline(collection.pipeline);
      collection.pipeline.onBatchWritten((seconds) => metrics.batchWritten(seconds));
    }
    const app = await createApp({
      databaseUrl: database.url,
      version,
      logger,
      metrics,
      allowPrivateWebhooks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      ...(admin.token ? { adminToken: admin.token } : {}),
      ...(config.METRICS_TOKEN ? { metricsToken: config.METRICS_TOKEN } : {}),
      rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
      http: { bodyLimitBytes: config.HTTP_BODY_LIMIT, corsOrigins: config.CORS_ORIGINS },
    });
    try {
      await app.listen(config.PORT, config.HOST);
    } catch (error) {
      await app.close();
      await collection?.stop();
      await detection?.stop();
      await store?.close();
      await demo?.stop();
      const e = error as NodeJS.ErrnoException;
      const reason = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
      throw new CliError(`cannot listen on ${config.HOST}:${config.PORT}: ${reason}`);
    }
    const webhooks = await WebhookDispatcher.start({
      databaseUrl: database.url,
      version,
      allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      logger,
      onAttempt: (outcome) => metrics.webhookAttempt(outcome),
    }).catch(async (error: Error) => {
      await app.close();
      await collection?.stop();
      await detection?.stop();
      await store?.close();
      await demo?.stop();
      throw new CliError(`webhooks: cannot start the dispatcher: ${error.message}`);
    });
    let metricsServer: MetricsServer | undefined;
    if (config.METRICS_LISTEN) {
      metricsServer = await startMetricsServer({ listen: config.METRICS_LISTEN, metrics, ...(config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : {}) }).catch(
        async (error: Error) => {
          await webhooks.stop();
          await app.close();
          await collection?.stop();
          await detection?.stop();
          await store?.close();
          await demo?.stop();
          throw new CliError(`METRICS_LISTEN: ${error.message}`);
        },
      );
      logger.log(`metrics: also on http://${metricsServer.address}/metrics`);
    }
    const retention = RetentionJob.start({
      databaseUrl: database.url,
      policy: { flowDays: config.FLOW_RETENTION_DAYS, evidenceDays: config.EVIDENCE_RETENTION_DAYS },
      logger,
    });
    const url = (await app.getUrl()).replace('[::1]', 'localhost');
    io.stdout(`driftwatch ${version} listening on ${url} (health: ${url}/api/v1/health, API docs: ${url}/api/v1/docs)\n`);
    io.stdout(`live page: ${url}/\n`);
    io.stdout(`${admin.line}\n`);
    io.stdout(
      demo
        ? `flow sources: demo: examples/shop traffic at ${config.DEMO_RATE} flows/s from a built-in Hubble API on ${demo.address} (set HUBBLE_ADDRESS, GOLDMANE_ADDRESS, FELIX_LISTEN or INGEST_LISTEN for real traffic; DEMO=off turns the demo off)\n`
        : specs.length === 0
          ? 'flow sources: none configured (set HUBBLE_ADDRESS, GOLDMANE_ADDRESS, FELIX_LISTEN or INGEST_LISTEN); serving the API only\n'
          : `flow sources: ${specs.map((s) => `${s.kind} ${s.address}`).join(', ')}\n`,
    );
    const pipeline = collection?.pipeline;
    const counter = pipeline ? AlertStore.open(database.url, 1) : undefined;
    if (pipeline && counter) {
      status.start({ sample: async () => ({ counts: pipeline.summary, openAlerts: await counter.alerts.countUnresolved().then((c) => c.open, () => undefined) }) });
    }
    const reload = () => void collection?.reload();
    process.on('SIGHUP', reload);
    const signal = await untilStopSignal(logger);
    process.off('SIGHUP', reload);
    status.stop();
    const stopping = performance.now();
    logger.notice(`stopping (${signal}): finishing webhook attempts in flight and writing what is in memory`);
    const failures: string[] = [];
    const step = (what: string, task: Promise<unknown> | undefined): Promise<void> =>
      Promise.resolve(task).then(
        () => undefined,
        (error: Error) => void failures.push(`${what}: ${error.message}`),
      );
    // Sources stop and open windows are written while webhook attempts in flight and a retention pass finish;
    // the API answers until they are done (health, dashboards), then its socket.io clients are told and
    // disconnected. The demo source stops once the collector no longer reads it.
    await Promise.all([
      step('webhooks', webhooks.stop()),
      step('retention', retention.stop()),
      step('flows', collection?.stop()).then(() => step('drift detection', detection?.stop())),
    ]);
    await step('flow store', store?.close());
    await step('demo source', demo?.stop());
    await step('status line', counter?.close());
    await step('metrics', metricsServer?.close());
    await step('API', app.close());
    for (const failure of failures) logger.error(`stopping: ${failure}`);
    const received = collection ? `; ${collection.pipeline.summary.flows} flows received (${collection.pipeline.summary.duplicates} duplicates), ${failures.length === 0 ? 'all' : 'not all'} written` : '';
    logger.notice(`stopped in ${Math.round(performance.now() - stopping)} ms${received}`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    await database.close();
  }
}
