import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('driftwatch', import.meta.dirname, {
  globalSetup: ['./test/build-setup.ts', '../../libs/testing/src/global-setup.ts'],
  testTimeout: 30_000,
  // Concurrent tests (it.concurrent, describe.concurrent) each start the binary: at most 3 at once, so that a file's
  // burst of process starts does not starve the timing of the file that runs beside it on a 2-core machine.
  maxConcurrency: 3,
});
