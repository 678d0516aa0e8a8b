import { notBuilt } from '../core/command.js';
export const command = notBuilt('wait', 'Wait until the server is ready and answers a one-token request; diagnose if not');
