import { defineProject, type TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The vitest project of one app or lib: tsconfig paths resolved, node environment, named after its folder.
 * Tests may take 20 s (not vitest's 5 s): many start real servers, child processes and databases, and machines of
 * this kind differ by 2x per core; a test that hangs still fails, it only fails later.
 */
export function workspaceProject(
  name: string,
  root: string,
  test: Omit<NonNullable<TestProjectInlineConfiguration['test']>, 'name' | 'root'> = {},
) {
  return defineProject({
    resolve: { tsconfigPaths: true },
    test: { name, root, environment: 'node', testTimeout: 20_000, hookTimeout: 30_000, include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'], ...test },
  });
}
