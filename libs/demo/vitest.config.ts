import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('demo', import.meta.dirname, {
  globalSetup: ['../testing/src/global-setup.ts'],
});
