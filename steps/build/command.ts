import { notBuilt } from '../core/command.js';
export const command = notBuilt('build', 'Plan and build server and steps images with content-hash tags');
