import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('driftwatch', import.meta.dirname, {
  globalSetup: ['./test/build-setup.ts', '../../libs/testing/src/global-setup.ts'],
  testTimeout: 30_000,
});
