import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('api', import.meta.dirname, {
  // files may run at the same time: each worker has a database of its own (workerDatabaseUrl)
  globalSetup: ['../testing/src/global-setup.ts'],
  // A worker keeps its modules from one file to the next: every file here loads Nest, Prisma and every lib (about
  // 3.5 s a file on a busy 2-core machine) and builds its own apps from them; libs/api keeps no state in its
  // modules but the docs assets it has read (libs/api/src/openapi/docs-assets.ts).
  isolate: false,
});
