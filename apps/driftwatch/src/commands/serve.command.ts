import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '@driftwatch/config';
import { issueInitialAdminKey } from '@driftwatch/api';
import { AlertStore, FlowStore } from '@driftwatch/persistence';
import { checkDeclaredPolicies, PolicyInputError } from '@driftwatch/policy-source';
import { CliError, parseCommandArgs, type CliIo } from '../cli.js';
import { WebhookDispatcher } from '@driftwatch/alerts';
import { clientTls, serverTls, SourceSetupError, startCollection, type Collection, type SourceSpec } from '@driftwatch/collector';
import { appLogger, configOrExit, migrateOrExit, openDatabase } from '../database.js';
import { startDriftDetection } from '../drift-detection.js';
import { createApp } from '../server.js';
import { version } from '../version.js';

export const usage = `usage: driftwatch serve

Runs the REST API under /api/v1 (GET /api/v1/health) after applying pending migrations, and the flow
collectors configured by the environment: HUBBLE_ADDRESS, GOLDMANE_ADDRESS, FELIX_LISTEN, INGEST_LISTEN, with
the declared policies of POLICY_DIR (default: the example policies in examples/shop/policies), and delivers
the webhooks' outbox (WEBHOOK_ALLOW_PRIVATE_NETWORKS=true lets webhooks reach private addresses).
The API documents itself at /api/v1/docs (OpenAPI 3.1: /api/v1/openapi.json).
Every endpoint but health and the docs needs an API key (Authorization: Bearer <key>): see \`driftwatch keys\`, or set
DRIFTWATCH_ADMIN_TOKEN; when neither exists, the first start creates an admin key and prints it once.
Configuration comes from the environment (see README.md): HOST, PORT, DATABASE_URL, LOG_LEVEL, HTTP_BODY_LIMIT,
CORS_ORIGINS, RATE_LIMIT_PER_MINUTE, ...
A POLICY_DIR that does not exist is a configuration error, and declared policies with any problem (see
driftwatch validate) stop the start with exit 2. SIGHUP reloads the policies (a set with problems is refused and
the running revision kept); SIGINT or SIGTERM stop cleanly.`;

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

/** Creates the first admin key when the database has none (and no DRIFTWATCH_ADMIN_TOKEN is set). */
async function firstAdminKey(databaseUrl: string): Promise<string | undefined> {
  const store = AlertStore.open(databaseUrl, 1);
  try {
    return await issueInitialAdminKey(store.keys);
  } finally {
    await store.close();
  }
}

/** Resolves when the server has been stopped by a signal. */
export async function run(args: readonly string[], io: CliIo): Promise<number> {
  parseCommandArgs(args, {});
  const config = configOrExit();
  const policies = await policyDirOrExit(config);
  const logger = appLogger(config, io);
  const specs = configuredSources(config);
  // A set with problems is refused before a database is touched (also when no source uses the policies yet).
  await checkDeclaredPolicies(policies);
  const database = await openDatabase(io, config, logger);
  try {
    const applied = await migrateOrExit(database.url, logger);
    if (applied.length > 0) io.stderr(`applied ${applied.length} migration(s): ${applied.join(', ')}\n`);
    const initialKey = config.DRIFTWATCH_ADMIN_TOKEN ? undefined : await firstAdminKey(database.url);
    let store: FlowStore | undefined;
    let collection: Collection | undefined;
    let detection: ReturnType<typeof startDriftDetection> | undefined;
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
        if (error instanceof SourceSetupError) throw new CliError(error.message, 2);
        throw error instanceof CliError || error instanceof PolicyInputError ? error : new CliError(error.message);
      });
    }
    const app = await createApp({
      databaseUrl: database.url,
      version,
      logLevel: config.LOG_LEVEL,
      allowPrivateWebhooks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      ...(config.DRIFTWATCH_ADMIN_TOKEN ? { adminToken: config.DRIFTWATCH_ADMIN_TOKEN } : {}),
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
      const e = error as NodeJS.ErrnoException;
      const reason = e.code === 'EADDRINUSE' ? 'address already in use' : e.code === 'EACCES' ? 'permission denied' : e.message;
      throw new CliError(`cannot listen on ${config.HOST}:${config.PORT}: ${reason}`);
    }
    const webhooks = await WebhookDispatcher.start({
      databaseUrl: database.url,
      version,
      allowPrivateNetworks: config.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
      logger,
    }).catch(async (error: Error) => {
      await app.close();
      await collection?.stop();
      await detection?.stop();
      await store?.close();
      throw new CliError(`webhooks: cannot start the dispatcher: ${error.message}`);
    });
    const url = (await app.getUrl()).replace('[::1]', 'localhost');
    io.stdout(`driftwatch ${version} listening on ${url} (health: ${url}/api/v1/health, API docs: ${url}/api/v1/docs)\n`);
    if (initialKey) io.stdout(`created the first API key (admin, all namespaces); it is shown this once, keep it: ${initialKey}\n`);
    io.stdout(
      specs.length === 0
        ? 'flow sources: none configured (set HUBBLE_ADDRESS, GOLDMANE_ADDRESS, FELIX_LISTEN or INGEST_LISTEN); serving the API only\n'
        : `flow sources: ${specs.map((s) => `${s.kind} ${s.address}`).join(', ')}\n`,
    );
    const reload = () => void collection?.reload();
    process.on('SIGHUP', reload);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.off('SIGHUP', reload);
    io.stderr('stopping\n');
    await webhooks.stop();
    await collection?.stop();
    await detection?.stop();
    await store?.close();
    await app.close();
    return 0;
  } finally {
    await database.close();
  }
}
