import { isDialAddress, isHostPort } from '@driftwatch/config';
import { DriftwatchMetrics, startMetricsServer, type MetricsServer } from '@driftwatch/metrics';
import { FlowStore } from '@driftwatch/persistence';
import { checkDeclaredPolicies, PolicyInputError } from '@driftwatch/policy-source';
import { CliError, parseCommandArgs, parseIntegerOption, type CliIo } from '../cli.js';
import { clientTls, serverTls, SourceSetupError, startCollection, type SourceSpec } from '@driftwatch/collector';
import { appLogger, configOrExit, migrateOrExit, openDatabase } from '../database.js';
import { startDriftDetection } from '../drift-detection.js';
import { summaryLine } from '../summary-line.js';
import { version } from '../version.js';

export const usage = `usage: driftwatch collect (--hubble <address> | --goldmane <address> | --felix-listen <host:port> |
                          --ingest-listen <host:port>)... --policies <path> [--source-id <id>]
                          [--until-idle <seconds>] [--max-flows <n>] [--window <seconds>]
                          [--tls-ca <file>] [--tls-cert <file> --tls-key <file>] [--tls-server-name <name>]
                          [--server-tls-cert <file> --server-tls-key <file> [--server-tls-client-ca <file>]]
                          [--server-token <token>] [--server-allow-plaintext]

Runs the flow pipeline into Postgres: flows from the sources are labeled allowed, denied or unexpected against
the declared policies (--policies, a file or directory; recorded as a policy revision) and stored per window.
Declared policies with any problem (see driftwatch validate) stop the command with exit 2 before it collects.
  --hubble          client of Hubble Relay (or a node's Hubble server): observer.Observer/GetFlows, follow;
                    host:port, or unix:///path for a node's own socket (unix:///var/run/cilium/hubble.sock)
  --goldmane        client of Calico Goldmane: goldmane.Flows/Stream, resuming with start_time_gte
  --source-id       the source's id in collector_state (its resume point and gaps) when one source is named;
                    default <kind>:<address>. Give each node its own (e.g. hubble:$(NODE_NAME)) when every node's
                    collector dials the same socket path
  --felix-listen    serve goldmane.FlowCollector/Connect for Felix to push to (plaintext, e.g. the local reporter)
  --ingest-listen   serve driftwatch.v1.Ingest/Publish for agents to push Hubble-format flows
  --until-idle      stop after this many seconds without a message
  --max-flows       stop after this many flows
  --window          aggregation window in seconds (default FLOW_WINDOW_SECONDS, 10; 0 = one record per flow)
  --tls-*           TLS (CA) or mutual TLS (CA, cert, key) towards Hubble or Goldmane; server name override
  --server-tls-*    TLS of the Felix and Ingest servers; with a client CA, clients must present a certificate
                    it signed (mutual TLS, as Felix set up by the Calico operator expects of Goldmane)
  --server-token    the Felix and Ingest servers require "authorization: Bearer <token>" (or SOURCE_SERVER_TOKEN)
  --server-allow-plaintext
                    let those servers accept anyone on an address other than loopback, without a client CA or
                    token (or SOURCE_SERVER_ALLOW_PLAINTEXT=true); without it such a server refuses to start
The --policies revision is put in force at start. A revision activated in the database (POST
/api/v1/policies/{rev}/activate, or another collecting process starting or reloading) is followed at once.
SIGHUP reloads the policies and puts them in force for every collecting process (a set with problems is refused;
the running revision stays); SIGINT/SIGTERM stop cleanly. Prints a progress line on stderr, and on exit one
JSON line: {"flows","allowed","denied","unexpected","skipped","lost","seconds",...}. Exits 1 when a source was
never reached (a Hubble or Goldmane that never answered), saying so in the last line.
METRICS_LISTEN=<host:port> serves GET /metrics (Prometheus) meanwhile (METRICS_TOKEN protects it).`;

const sourceFlags = { hubble: 'hubble', goldmane: 'goldmane', 'felix-listen': 'felix', 'ingest-listen': 'ingest' } as const;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    hubble: { type: 'string', multiple: true },
    goldmane: { type: 'string', multiple: true },
    'felix-listen': { type: 'string', multiple: true },
    'ingest-listen': { type: 'string', multiple: true },
    policies: { type: 'string' },
    'until-idle': { type: 'string' },
    'max-flows': { type: 'string' },
    window: { type: 'string' },
    'tls-ca': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-server-name': { type: 'string' },
    'server-tls-cert': { type: 'string' },
    'server-tls-key': { type: 'string' },
    'server-tls-client-ca': { type: 'string' },
    'server-token': { type: 'string' },
    'server-allow-plaintext': { type: 'boolean' },
    'source-id': { type: 'string' },
  });
  const sources: SourceSpec[] = [];
  for (const [flag, kind] of Object.entries(sourceFlags)) {
    for (const address of (values[flag as keyof typeof sourceFlags] as string[] | undefined) ?? []) {
      const dialled = kind === 'hubble' || kind === 'goldmane';
      if (dialled ? !isDialAddress(address) : !isHostPort(address)) {
        throw new CliError(`--${flag} must be ${dialled ? 'host:port or unix:///path' : 'host:port'}, got ${JSON.stringify(address)}`, 2);
      }
      sources.push({ kind, address });
    }
  }
  if (sources.length === 0) throw new CliError(`name at least one flow source\n${usage}`, 2);
  const sourceId = values['source-id'];
  if (sourceId !== undefined) {
    if (sources.length !== 1) throw new CliError('--source-id names one source: give exactly one of --hubble, --goldmane, --felix-listen, --ingest-listen with it', 2);
    if (!/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$/.test(sourceId)) {
      throw new CliError(`--source-id must be 1 to 200 characters of letters, digits and . _ : / @ -, got ${JSON.stringify(sourceId)}`, 2);
    }
    sources[0] = { ...sources[0]!, id: sourceId };
  }
  const config = configOrExit();
  const policies = values.policies ?? config.POLICY_DIR;
  if (!policies) throw new CliError('--policies is required (or set POLICY_DIR)', 2);
  const idleSeconds = parseIntegerOption('until-idle', values['until-idle'], 1, 86_400);
  const maxFlows = parseIntegerOption('max-flows', values['max-flows'], 1, Number.MAX_SAFE_INTEGER);
  const windowSeconds = parseIntegerOption('window', values.window, 0, 3600) ?? config.FLOW_WINDOW_SECONDS;
  if (!!values['tls-cert'] !== !!values['tls-key']) throw new CliError('--tls-cert and --tls-key go together', 2);
  const tls = clientTls(values['tls-ca'], values['tls-cert'], values['tls-key'], values['tls-server-name']);

  if (!!values['server-tls-cert'] !== !!values['server-tls-key']) throw new CliError('--server-tls-cert and --server-tls-key go together', 2);
  if (values['server-tls-client-ca'] && !values['server-tls-cert']) throw new CliError('--server-tls-client-ca needs --server-tls-cert and --server-tls-key', 2);
  const serverTlsOptions = serverTls(values['server-tls-cert'], values['server-tls-key'], values['server-tls-client-ca']);

  await checkDeclaredPolicies(policies); // bad policies fail fast, before a database is opened
  const started = performance.now();
  const logger = appLogger(config, io);
  const database = await openDatabase(io, config, logger);
  let store: FlowStore | undefined;
  let detection: ReturnType<typeof startDriftDetection> | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    await migrateOrExit(database.url, logger);
    store = await FlowStore.open(database.url);
    detection = startDriftDetection(database.url, config, logger);
    const serverToken = values['server-token'] ?? config.SOURCE_SERVER_TOKEN;
    const serverAllowPlaintext = values['server-allow-plaintext'] === true || config.SOURCE_SERVER_ALLOW_PLAINTEXT;
    const collection = await startCollection({
      store, policies, sources, windowSeconds, logger, observers: detection.observers, ...(tls ? { tls } : {}), ...(serverTlsOptions ? { serverTls: serverTlsOptions } : {}),
      ...(serverToken ? { serverToken } : {}), serverAllowPlaintext,
    }).catch((error: Error) => {
      if (error instanceof SourceSetupError) throw new CliError(error.message, 2);
      throw error instanceof CliError || error instanceof PolicyInputError ? error : new CliError(error.message);
    });
    if (config.METRICS_LISTEN) {
      const metrics = new DriftwatchMetrics({ version });
      metrics.watchPipeline(collection.pipeline);
      collection.pipeline.onBatchWritten((seconds) => metrics.batchWritten(seconds));
      metricsServer = await startMetricsServer({ listen: config.METRICS_LISTEN, metrics, ...(config.METRICS_TOKEN ? { token: config.METRICS_TOKEN } : {}) }).catch(
        async (error: Error) => {
          await collection.stop().catch(() => undefined);
          throw new CliError(`METRICS_LISTEN: ${error.message}`);
        },
      );
      logger.log(`metrics: http://${metricsServer.address}/metrics`);
    }
    const summary = collection.pipeline.summary;
    await new Promise<void>((resolve) => {
      let lastFlows = -1;
      let lastChange = Date.now();
      let lastProgress = 0;
      const stop = () => {
        clearInterval(timer);
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        process.off('SIGHUP', reload);
        resolve();
      };
      const reload = () => void collection.reload();
      const timer = setInterval(() => {
        const seen = summary.flows + summary.malformed + summary.lost;
        if (seen !== lastFlows) {
          lastFlows = seen;
          lastChange = Date.now();
        }
        if (Date.now() - lastProgress >= 2000) {
          lastProgress = Date.now();
          logger.notice(`collect: ${summary.flows} flows (${summary.allowed} allowed, ${summary.denied} denied, ${summary.unexpected} unexpected, ${summary.skipped} skipped), ${summary.lost} lost`);
        }
        if (maxFlows !== undefined && summary.flows >= maxFlows) stop();
        if (idleSeconds !== undefined && Date.now() - lastChange >= idleSeconds * 1000) stop();
      }, 50);
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.on('SIGHUP', reload);
    });
    const failure = await collection
      .stop()
      .then(() => detection?.stop())
      .then(
        () => undefined,
        (error: Error) => error,
      );
    const s = summary;
    io.stdout(summaryLine(s, started));
    if (failure) throw new CliError(`${failure.message} (the summary above counts flows received, not flows stored)`);
    const unreached = collection.sources.filter((source) => !source.reached);
    if (unreached.length > 0) {
      const named = unreached.map((source) => `${source.id}${source.lastError ? ` (${source.lastError})` : ''}`).join(', ');
      throw new CliError(`never reached ${named}: nothing was collected from ${unreached.length === 1 ? 'it' : 'them'}`);
    }
    return 0;
  } finally {
    await metricsServer?.close();
    await detection?.stop().catch(() => undefined);
    await store?.close();
    await database.close();
  }
}
