import { workspaceProject } from './vitest/project.ts';

export default workspaceProject('tools', import.meta.dirname, { include: ['test/**/*.spec.ts'] });
