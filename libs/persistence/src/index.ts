export { resolveDatabase, DatabaseUnavailableError, type ResolvedDatabase, type DatabaseConfig } from './database/resolve-database.js';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './database/embedded-postgres.js';
export { ensureDatabase, dropDatabase, withDatabase, describeUrl } from './database/postgres-probe.js';
export { applyMigrations, createMigration } from './migrations/migrator.js';
export { PersistenceModule } from './persistence.module.js';
export { DatabaseHealthRepository } from './health/database-health.repository.js';
