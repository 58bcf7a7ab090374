import type { Logger } from '@driftwatch/common';
import type { FlowObserver } from '@driftwatch/flow';
import type { FlowStore } from '@driftwatch/persistence';
import { loadDeclaredPolicies } from '@driftwatch/policy-source';
import { FlowPipeline } from './pipeline/flow-pipeline.js';
import { recordDeclared, RevisionFollower } from './policy-activation.js';
import { FelixCollectorServer } from './sources/felix-collector.server.js';
import { quietGrpcLogs, type FlowSource, type ServerTlsOptions, type TlsOptions } from './sources/flow-source.js';
import { GoldmaneStreamSource } from './sources/goldmane-stream.source.js';
import { HubbleRelaySource } from './sources/hubble-relay.source.js';
import { IngestServer } from './sources/ingest.server.js';

/**
 * TLS towards the sources Driftwatch dials (Hubble, Goldmane) from its settings, the same for flags and
 * environment: undefined (plaintext) unless a CA or a client certificate is given.
 */
export function clientTls(caFile?: string, certFile?: string, keyFile?: string, serverName?: string): TlsOptions | undefined {
  if (!caFile && !certFile) return undefined;
  return { caFile, certFile, keyFile, serverName };
}

/** TLS of the servers sources push to (Felix, Ingest): undefined (plaintext) unless a certificate and key are given. */
export function serverTls(certFile?: string, keyFile?: string, clientCaFile?: string): ServerTlsOptions | undefined {
  if (!certFile || !keyFile) return undefined;
  return { certFile, keyFile, ...(clientCaFile ? { clientCaFile } : {}) };
}

/** One flow source to run: a client (`hubble`, `goldmane`) of an address, or a server (`felix`, `ingest`) on one. */
export interface SourceSpec {
  readonly kind: 'hubble' | 'goldmane' | 'felix' | 'ingest';
  readonly address: string;
  /**
   * The source's id in `collector_state` (its resume point and gaps); default `<kind>:<address>`. Set it when the
   * address says nothing stable: the demo's random loopback port, or a node-local socket that every node of a
   * DaemonSet dials under the same path.
   */
  readonly id?: string;
}

export interface CollectionOptions {
  readonly store: FlowStore;
  readonly policies: string;
  readonly sources: readonly SourceSpec[];
  /** TLS towards the sources Driftwatch dials (Hubble, Goldmane). */
  readonly tls?: TlsOptions;
  /** TLS of the servers sources push to (Felix, Ingest). */
  readonly serverTls?: ServerTlsOptions;
  /** Bearer token the servers sources push to (Felix, Ingest) require. */
  readonly serverToken?: string;
  /** Let those servers run without client certificates or a token on an address other than loopback. */
  readonly serverAllowPlaintext?: boolean;
  readonly windowSeconds: number;
  /** Consumers of every classified flow (the drift detector); told the active revision at start and on reload. */
  readonly observers?: readonly FlowObserver[];
  /** Where progress and problems go (the app builds it from LOG_LEVEL). */
  readonly logger: Logger;
}

/** A running collection: sources feeding one pipeline, with the declared policies as its active revision. */
export interface Collection {
  readonly pipeline: FlowPipeline;
  readonly sources: readonly FlowSource[];
  /**
   * Reloads the declared policies (SIGHUP): when they changed, their revision is put in force, here and (through
   * the database) in every other collecting process. A set that cannot be read or has problems is logged and the
   * running revision stays; never rejects.
   */
  reload(): Promise<void>;
  /** The revision flows are classified against now. */
  readonly revisionId: number;
  /** Stops the sources, then writes what is still in memory. */
  stop(): Promise<void>;
}

function createSource(spec: SourceSpec, pipeline: FlowPipeline, options: CollectionOptions): FlowSource {
  const logger = options.logger;
  const client = { address: spec.address, logger, ...(spec.id ? { id: spec.id } : {}), ...(options.tls ? { tls: options.tls } : {}) };
  const server = {
    listen: spec.address,
    logger,
    ...(spec.id ? { id: spec.id } : {}),
    ...(options.serverTls ? { tls: options.serverTls } : {}),
    ...(options.serverToken ? { token: options.serverToken } : {}),
    ...(options.serverAllowPlaintext ? { allowUnauthenticated: true } : {}),
  };
  switch (spec.kind) {
    case 'hubble':
      return new HubbleRelaySource(pipeline, client);
    case 'goldmane':
      return new GoldmaneStreamSource(pipeline, client);
    case 'felix':
      return new FelixCollectorServer(pipeline, server);
    case 'ingest':
      return new IngestServer(pipeline, server);
  }
}

/**
 * Loads the declared policies as a revision (recorded in the database, with its Git commit) and puts it in force,
 * then starts every source into one pipeline, resuming each where the database says it stopped. A declared set
 * with problems is refused before anything starts (InvalidPoliciesError). While it runs, the collection follows
 * activations in the database (POST /api/v1/policies/{rev}/activate, or another process's start or reload) and
 * switches its pipeline to the revision activated last, as a reload does.
 */
export async function startCollection(options: CollectionOptions): Promise<Collection> {
  const { logger, store } = options;
  const log = (line: string) => logger.log(line);
  quietGrpcLogs();
  const declared = await loadDeclaredPolicies(options.policies, { logger });
  const revisionId = await recordDeclared(store, declared, 'start');
  log(`policies: revision ${revisionId} from ${declared.path} (${declared.loaded.policies.length} policies${declared.gitCommit ? `, git ${declared.gitCommit}` : ''})`);
  await store.flowRecords.ensurePartitions();
  const pipeline = new FlowPipeline(
    { snapshot: declared.snapshot, id: revisionId },
    { store, windowMs: options.windowSeconds * 1000, logger, ...(options.observers ? { observers: options.observers } : {}) },
  );
  for (const observer of options.observers ?? []) observer.revisionChanged?.(revisionId, declared.snapshot);
  const sources = options.sources.map((spec) => createSource(spec, pipeline, options));
  for (const [index, source] of sources.entries()) {
    const spec = options.sources[index] as SourceSpec;
    pipeline.registerSource(source.id, spec.kind, spec.address);
    const saved = await store.collectors.load(source.id);
    if (saved?.lastSeenTime) {
      const ids = Array.isArray(saved.cursor['ids']) ? (saved.cursor['ids'] as string[]) : [];
      pipeline.resumeFrom(source.id, saved.lastSeenTime.getTime(), ids, saved.lostEvents);
      log(`${source.id}: resuming from ${saved.lastSeenTime.toISOString()}`);
    }
    try {
      await source.start();
    } catch (error) {
      await Promise.all(sources.slice(0, index).map((started) => started.stop()));
      await pipeline.close();
      throw error;
    }
    // Servers log their bound address and protection themselves when they start.
    if (spec.kind === 'hubble' || spec.kind === 'goldmane') log(`${source.id}: started`);
  }
  const follower = new RevisionFollower(pipeline, store, options.policies, logger, { id: revisionId, contentHash: declared.contentHash });
  let activations: { stop(): Promise<void> };
  try {
    activations = await store.revisions.follow(() => void follower.syncWithDatabase(), logger);
  } catch (error) {
    await Promise.all(sources.map((source) => source.stop()));
    await pipeline.close();
    throw error;
  }
  // Daily partitions are made a week ahead at start; a long-running collector keeps that lead every 6 hours.
  const partitions = setInterval(() => {
    store.flowRecords.ensurePartitions().catch((error: Error) => logger.warn(`cannot create flow partitions (rows go to the default partition meanwhile): ${error.message}`));
  }, 6 * 3600 * 1000);
  partitions.unref();
  return {
    pipeline,
    sources,
    get revisionId() {
      return follower.revisionId;
    },
    reload: () => follower.reloadFromDisk(),
    async stop() {
      clearInterval(partitions);
      await activations.stop();
      await follower.settled();
      await Promise.all(sources.map((source) => source.stop()));
      await pipeline.close();
    },
  };
}
