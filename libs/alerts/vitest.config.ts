import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('alerts', import.meta.dirname, {
  globalSetup: ['../testing/src/global-setup.ts'],
  fileParallelism: false,
});
