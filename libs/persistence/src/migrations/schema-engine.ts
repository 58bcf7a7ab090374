import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory, ColumnTypeEnum } from '@prisma/driver-adapter-utils';
import { parse as parseConnectionString } from 'pg-connection-string';
import pg from 'pg';

/**
 * Prisma's schema engine, compiled to WebAssembly and published on npm, driven through the pg driver adapter.
 * Prisma's CLI would download a native engine from its CDN first, which cannot be done offline; this is the same
 * engine and writes `_prisma_migrations` exactly as the CLI does. These are internal Prisma APIs: re-check them
 * whenever Prisma is upgraded (the Wasm package must carry the CLI's engine hash; see package.json).
 */
export interface WasmSchemaEngine {
  applyMigrations(input: unknown): Promise<{ appliedMigrationNames: string[] }>;
  diff(input: unknown): Promise<{ exitCode: number; stdout?: string }>;
  free(): void;
}

const require = createRequire(import.meta.url);

/** The slice of the WebAssembly global used here (TypeScript declares it only in the DOM library). */
const Wasm = (globalThis as unknown as { WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, unknown>) => { exports: Record<string, unknown> };
} }).WebAssembly;
type EngineModule = { SchemaEngine: { new: (...args: unknown[]) => Promise<WasmSchemaEngine> } };

/**
 * One instantiation per process: the runtime module is shared by every importer (vitest loads this file once
 * per project), and a second `__wbg_set_wasm` would swap the memory under engines already running.
 */
const engineModuleKey = Symbol.for('driftwatch.prisma-schema-engine-wasm');
function engineModule(): Promise<EngineModule> {
  const store = globalThis as unknown as Record<symbol, Promise<EngineModule> | undefined>;
  return (store[engineModuleKey] ??= loadEngineModule());
}

async function loadEngineModule(): Promise<EngineModule> {
  const runtimePath = require.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
  const runtime = (await import('@prisma/schema-engine-wasm/schema_engine_bg')) as Record<string, unknown> & {
    __wbg_set_wasm: (exports: unknown) => void;
  };
  const wasm = new Wasm.Module(readFileSync(join(dirname(runtimePath), 'schema_engine_bg.wasm')));
  const instance = new Wasm.Instance(wasm, { './schema_engine_bg.js': runtime });
  runtime.__wbg_set_wasm(instance.exports);
  (instance.exports as { __wbindgen_start?: () => void }).__wbindgen_start?.();
  // Without a panic registry an engine panic surfaces as "cannot read properties of undefined (reading 'set_message')".
  (globalThis as Record<string, unknown>)['PRISMA_WASM_PANIC_REGISTRY'] ??= {
    set_message(message: string) {
      lastPanic = message;
    },
  };
  return runtime as unknown as EngineModule;
}
let lastPanic: string | undefined;

type Queryable = {
  queryRaw: (query: unknown) => Promise<{ columnTypes: number[] }>;
  executeScript?: (script: string) => Promise<void>;
  underlyingDriver?: () => { query: (sql: string) => Promise<unknown> };
  onError?: (error: unknown) => never;
  performIO: (query: unknown) => Promise<{ fields: { dataTypeID: number }[] }>;
  startTransaction?: (...args: unknown[]) => Promise<Queryable>;
};

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

/**
 * Two repairs of adapter-pg 7.10 for the schema engine:
 * - it cannot map Postgres `"char"` columns (OID 18), which the engine's catalog queries return: read them as
 *   text and report them as Character, per query, so concurrent queries do not interfere;
 * - its executeScript splits on ";" (see below).
 */
function repairAdapter<T extends Queryable>(queryable: T): T {
  const performIO = queryable.performIO.bind(queryable);
  const queryRaw = queryable.queryRaw;
  queryable.queryRaw = async (query: unknown) => {
    const result = await performIO(query);
    const charColumns: number[] = [];
    result.fields.forEach((field, index) => {
      if (field.dataTypeID === PG_CHAR_OID) {
        field.dataTypeID = PG_TEXT_OID;
        charColumns.push(index);
      }
    });
    const once = Object.create(queryable, { performIO: { value: async () => result } }) as T;
    const output = await queryRaw.call(once, query);
    for (const index of charColumns) output.columnTypes[index] = ColumnTypeEnum.Character;
    return output;
  };
  const driver = queryable.underlyingDriver?.();
  if (queryable.executeScript && driver) {
    // adapter-pg splits scripts on every ";", which breaks function bodies and string literals. Postgres runs a
    // multi-statement simple query as one implicit transaction, as Prisma's native engine does: all or nothing.
    queryable.executeScript = async (script: string) => {
      try {
        await driver.query(script);
      } catch (error) {
        if (queryable.onError) queryable.onError(error);
        throw error;
      }
    };
  }
  const startTransaction = queryable.startTransaction?.bind(queryable);
  if (startTransaction) queryable.startTransaction = async (...args) => repairAdapter(await startTransaction(...args));
  return queryable;
}

/** Connection settings as discrete fields: with a connection string, adapter-pg's shadow pool would reuse the main DB. */
function poolConfig(url: string): pg.PoolConfig {
  const parsed = parseConnectionString(url);
  return {
    host: parsed.host ?? undefined,
    port: parsed.port ? Number(parsed.port) : undefined,
    user: parsed.user ?? undefined,
    password: parsed.password ?? undefined,
    database: parsed.database ?? undefined,
    max: 4,
  };
}

/** A driver-adapter factory whose shadow databases are created and dropped by us, so none leak. */
function adapterFactory(url: string, shadowDatabases: string[], opened: { dispose(): Promise<void> }[]) {
  const config = poolConfig(url);
  const open = async (settings: pg.PoolConfig) => {
    const adapter = await new PrismaPg(settings).connect();
    opened.push(adapter);
    return repairAdapter(adapter as unknown as Queryable);
  };
  return {
    provider: 'postgres' as const,
    adapterName: '@prisma/adapter-pg',
    connect: () => open(config),
    connectToShadowDb: async () => {
      const database = `prisma_shadow_${randomUUID().replaceAll('-', '')}`;
      const client = new pg.Client(config);
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${database}"`);
      } finally {
        await client.end();
      }
      shadowDatabases.push(database);
      return open({ ...config, database });
    },
  };
}

async function dropDatabases(url: string, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const client = new pg.Client(poolConfig(url));
  await client.connect();
  try {
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/**
 * Runs `work` with a schema engine connected to `url`, then frees it and drops any shadow database it made.
 * Engine errors are rethrown with the engine's own message (and its panic message, if it panicked).
 */
export async function withSchemaEngine<T>(
  url: string,
  schema: { path: string; text: string },
  work: (engine: WasmSchemaEngine) => Promise<T>,
): Promise<T> {
  const { SchemaEngine } = await engineModule();
  const shadowDatabases: string[] = [];
  const opened: { dispose(): Promise<void> }[] = [];
  const adapter = bindMigrationAwareSqlAdapterFactory(
    adapterFactory(url, shadowDatabases, opened) as unknown as Parameters<typeof bindMigrationAwareSqlAdapterFactory>[0],
  );
  lastPanic = undefined;
  const engine = await SchemaEngine.new({ datamodels: [[schema.path, schema.text]] }, () => undefined, adapter);
  try {
    return await work(engine);
  } catch (error) {
    throw new Error(engineMessage(error), { cause: error });
  } finally {
    engine.free();
    // the engine does not close its pools; left open they keep the process alive for their idle timeout
    await Promise.allSettled(opened.map((adapter) => adapter.dispose()));
    await dropDatabases(url, shadowDatabases);
  }
}

function engineMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
  return lastPanic ? `${message} (schema engine panicked: ${lastPanic})` : message;
}
