import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('common', import.meta.dirname);
