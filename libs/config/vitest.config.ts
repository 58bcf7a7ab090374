import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('config', import.meta.dirname);
