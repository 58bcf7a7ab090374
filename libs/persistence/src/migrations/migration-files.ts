import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The prisma/migrations folder of this repository, found relative to this file so any working directory works. */
export const defaultMigrationsDir = join(import.meta.dirname, '..', '..', '..', '..', 'prisma', 'migrations');
/** The Prisma schema, beside the migrations folder. */
export const defaultSchemaPath = join(defaultMigrationsDir, '..', 'schema.prisma');

export interface MigrationFolder {
  readonly name: string;
  readonly sql: string;
  /** sha256 of migration.sql, the checksum Prisma stores in _prisma_migrations. */
  readonly checksum: string;
}

/** The migrations in Prisma's folder layout (`<dir>/<timestamp>_<name>/migration.sql`), ordered by name. */
export function readMigrationFolders(dir: string = defaultMigrationsDir): MigrationFolder[] {
  if (!existsSync(dir)) throw new Error(`migrations folder ${dir} does not exist`);
  return readdirSync(dir)
    .filter((name) => statSync(join(dir, name)).isDirectory())
    .sort()
    .map((name) => {
      const file = join(dir, name, 'migration.sql');
      if (!existsSync(file)) throw new Error(`migration ${name} has no migration.sql`);
      const sql = readFileSync(file, 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** The `migrationsList` argument of Prisma's schema engine, built from the folders on disk. */
export function toEngineMigrationList(dir: string, folders: readonly MigrationFolder[]) {
  const lockPath = join(dir, 'migration_lock.toml');
  return {
    baseDir: dir,
    lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
    shadowDbInitScript: '',
    migrationDirectories: folders.map((f) => ({
      path: f.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: f.sql } },
    })),
  };
}
