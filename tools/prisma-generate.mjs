#!/usr/bin/env node
// Runs `prisma generate` without network access (postinstall). Prisma's CLI insists on locating a native
// schema engine before it does anything, and downloads one from its CDN when none is configured; generating
// the client does not use it, so we point the CLI at a file that explains where migrations really run.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';

const root = dirname(import.meta.dirname);
const stub = join(root, 'tools', 'schema-engine-stub.sh');
const result = spawnSync(process.execPath, [join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' },
});
if (result.status !== 0) {
  process.stderr.write('prisma generate failed; see the lines above\n');
  process.exit(result.status ?? 1);
}
