// Configuration for Prisma's own CLI (`prisma generate`, and `prisma migrate` where its native engine can run).
// Driftwatch applies migrations itself (`driftwatch migrate`), so this file is only read by Prisma's tools.
import { defineConfig } from 'prisma/config';

try {
  process.loadEnvFile('.env');
} catch {
  // no .env: fine
}

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env['DATABASE_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/driftwatch' },
});
