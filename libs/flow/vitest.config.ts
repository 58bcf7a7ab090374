import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('flow', import.meta.dirname);
