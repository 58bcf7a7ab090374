import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('testing', import.meta.dirname);
