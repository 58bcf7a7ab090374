import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('collector', import.meta.dirname, {
  // files may run at the same time: each worker has a database of its own (workerDatabaseUrl)
  globalSetup: ['../testing/src/global-setup.ts'],
});
