import { workspaceProject } from '../../tools/vitest/project.ts';

export default workspaceProject('policy-engine', import.meta.dirname);
