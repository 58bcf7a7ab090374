import { FelixCollectorServer, FlowPipeline, GoldmaneStreamSource, HubbleRelaySource, IngestServer, quietGrpcLogs, type FlowSource, type ServerTlsOptions, type TlsOptions } from '@driftwatch/collector';
import type { FlowStore } from '@driftwatch/persistence';
import type { CliIo } from './cli.js';
import { loadDeclaredPolicies, type DeclaredPolicies } from './declared-policies.js';

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
}

export interface CollectionOptions {
  readonly store: FlowStore;
  readonly policies: string;
  readonly sources: readonly SourceSpec[];
  /** TLS towards the sources Driftwatch dials (Hubble, Goldmane). */
  readonly tls?: TlsOptions;
  /** TLS of the servers sources push to (Felix, Ingest). */
  readonly serverTls?: ServerTlsOptions;
  readonly windowSeconds: number;
  readonly io: CliIo;
}

/** A running collection: sources feeding one pipeline, with the declared policies as its active revision. */
export interface Collection {
  readonly pipeline: FlowPipeline;
  readonly sources: readonly FlowSource[];
  /** Reloads the declared policies (SIGHUP): a new revision when they changed. */
  reload(): Promise<void>;
  /** Stops the sources, then writes what is still in memory. */
  stop(): Promise<void>;
}

async function recordRevision(store: FlowStore, declared: DeclaredPolicies): Promise<number> {
  const { id } = await store.revisions.record({
    sourceKind: declared.kind,
    sourcePath: declared.path,
    gitCommit: declared.gitCommit,
    contentHash: declared.contentHash,
    documents: declared.sources,
    policyCount: declared.loaded.policies.length,
    problems: declared.loaded.problems,
  });
  return id;
}

function createSource(spec: SourceSpec, pipeline: FlowPipeline, options: CollectionOptions): FlowSource {
  const log = (line: string) => options.io.stderr(`${line}\n`);
  switch (spec.kind) {
    case 'hubble':
      return new HubbleRelaySource(pipeline, { address: spec.address, ...(options.tls ? { tls: options.tls } : {}), log });
    case 'goldmane':
      return new GoldmaneStreamSource(pipeline, { address: spec.address, ...(options.tls ? { tls: options.tls } : {}), log });
    case 'felix':
      return new FelixCollectorServer(pipeline, { listen: spec.address, log, ...(options.serverTls ? { tls: options.serverTls } : {}) });
    case 'ingest':
      return new IngestServer(pipeline, { listen: spec.address, log, ...(options.serverTls ? { tls: options.serverTls } : {}) });
  }
}

/**
 * Loads the declared policies as a revision (recorded in the database, with its Git commit), then starts every
 * source into one pipeline, resuming each where the database says it stopped.
 */
export async function startCollection(options: CollectionOptions): Promise<Collection> {
  const { io, store } = options;
  quietGrpcLogs();
  const declared = await loadDeclaredPolicies(options.policies, io);
  const revisionId = await recordRevision(store, declared);
  io.stderr(
    `policies: revision ${revisionId} from ${declared.path} (${declared.loaded.policies.length} policies${declared.gitCommit ? `, git ${declared.gitCommit}` : ''})\n`,
  );
  await store.flowRecords.ensurePartitions();
  const pipeline = new FlowPipeline(
    { snapshot: declared.snapshot, id: revisionId },
    { store, windowMs: options.windowSeconds * 1000, log: (line) => io.stderr(`${line}\n`) },
  );
  const sources = options.sources.map((spec) => createSource(spec, pipeline, options));
  for (const [index, source] of sources.entries()) {
    const spec = options.sources[index] as SourceSpec;
    pipeline.registerSource(source.id, spec.kind, spec.address);
    const saved = await store.collectors.load(source.id);
    if (saved?.lastSeenTime) {
      const ids = Array.isArray(saved.cursor['ids']) ? (saved.cursor['ids'] as string[]) : [];
      pipeline.resumeFrom(source.id, saved.lastSeenTime.getTime(), ids, saved.lostEvents);
      io.stderr(`${source.id}: resuming from ${saved.lastSeenTime.toISOString()}\n`);
    }
    try {
      await source.start();
    } catch (error) {
      await Promise.all(sources.slice(0, index).map((started) => started.stop()));
      await pipeline.close();
      throw error;
    }
    io.stderr(`${source.id}: ${spec.kind === 'felix' || spec.kind === 'ingest' ? 'listening' : 'started'}\n`);
  }
  let current = declared.contentHash;
  // Daily partitions are made a week ahead at start; a long-running collector keeps that lead every 6 hours.
  const partitions = setInterval(() => {
    store.flowRecords.ensurePartitions().catch((error: Error) => io.stderr(`cannot create flow partitions (rows go to the default partition meanwhile): ${error.message}\n`));
  }, 6 * 3600 * 1000);
  partitions.unref();
  return {
    pipeline,
    sources,
    async reload() {
      const next = await loadDeclaredPolicies(options.policies, io);
      if (next.contentHash === current) {
        io.stderr('policies: unchanged\n');
        return;
      }
      const id = await recordRevision(store, next);
      current = next.contentHash;
      pipeline.setRevision({ snapshot: next.snapshot, id });
      io.stderr(`policies: now revision ${id} (${next.loaded.policies.length} policies)\n`);
    },
    async stop() {
      clearInterval(partitions);
      await Promise.all(sources.map((source) => source.stop()));
      await pipeline.close();
    },
  };
}
