import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Vitest global setup of the app's tests: compiles what changed since the last build (tools/build.mjs), so the
 * tests that spawn `driftwatch` run the compiled JavaScript of the sources under test, as `npm start` does,
 * instead of transpiling them at every start (seconds per child on a busy machine).
 */
export default function setup(): void {
  const root = join(import.meta.dirname, '..', '..', '..');
  const result = spawnSync(process.execPath, [join(root, 'tools', 'build.mjs'), '--quiet'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tools/build.mjs failed:\n${result.stdout}${result.stderr}`);
}
