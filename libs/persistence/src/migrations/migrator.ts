import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  defaultMigrationsDir,
  defaultSchemaPath,
  readMigrationFolders,
  toEngineMigrationList,
} from './migration-files.js';
import { withSchemaEngine } from './schema-engine.js';

const filters = { externalTables: [], externalEnums: [] };

export interface MigrateOptions {
  readonly migrationsDir?: string;
  readonly schemaPath?: string;
}

function sources(options: MigrateOptions) {
  const migrationsDir = options.migrationsDir ?? defaultMigrationsDir;
  const schemaPath = options.schemaPath ?? defaultSchemaPath;
  return { migrationsDir, schema: { path: schemaPath, text: readFileSync(schemaPath, 'utf8') } };
}

/**
 * Applies every migration not yet recorded in `_prisma_migrations`, in name order, and returns their names.
 * Idempotent: a second run applies nothing. A failed migration is recorded as failed, as Prisma does.
 */
export async function applyMigrations(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
  const { migrationsDir, schema } = sources(options);
  const migrationsList = toEngineMigrationList(migrationsDir, readMigrationFolders(migrationsDir));
  return withSchemaEngine(databaseUrl, schema, async (engine) => {
    const { appliedMigrationNames } = await engine.applyMigrations({ migrationsList, filters });
    return appliedMigrationNames;
  });
}

/**
 * Writes a new migration folder with the SQL that takes the existing migrations to prisma/schema.prisma, computed
 * through a temporary shadow database on the same server. Returns the folder, or undefined when nothing changed.
 * Review the SQL by hand: partitions and BRIN indexes are not expressible in the schema.
 */
export async function createMigration(
  databaseUrl: string,
  name: string,
  options: MigrateOptions & { now?: Date } = {},
): Promise<string | undefined> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`migration name must be lower-case letters, digits and _, got ${JSON.stringify(name)}`);
  const { migrationsDir, schema } = sources(options);
  const folders = readMigrationFolders(migrationsDir);
  const from = folders.length === 0 ? { tag: 'empty' } : { tag: 'migrations', ...toEngineMigrationList(migrationsDir, folders) };
  const sql = await withSchemaEngine(databaseUrl, schema, async (engine) => {
    const result = await engine.diff({
      from,
      to: { tag: 'schemaDatamodel', files: [{ path: schema.path, content: schema.text }] },
      script: true,
      shadowDatabaseUrl: null,
      exitCode: null,
      filters,
    });
    return result.stdout ?? '';
  });
  if (sql.trim() === '' || sql.includes('-- This is an empty migration.')) return undefined;
  const stamp = (options.now ?? new Date()).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const folder = join(migrationsDir, `${stamp}_${name}`);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'migration.sql'), sql);
  return folder;
}
