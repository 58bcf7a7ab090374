import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('metrics', import.meta.dirname);
