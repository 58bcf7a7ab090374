import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('policy-source', import.meta.dirname);
