import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('contracts', import.meta.dirname);
