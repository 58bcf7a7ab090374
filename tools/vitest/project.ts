import { defineProject, type TestProjectInlineConfiguration } from 'vitest/config';

/** The vitest project of one app or lib: tsconfig paths resolved, node environment, named after its folder. */
export function workspaceProject(
  name: string,
  root: string,
  test: Omit<NonNullable<TestProjectInlineConfiguration['test']>, 'name' | 'root'> = {},
) {
  return defineProject({
    resolve: { tsconfigPaths: true },
    test: { name, root, environment: 'node', include: ['src/**/*.spec.ts', 'test/**/*.spec.ts'], ...test },
  });
}
