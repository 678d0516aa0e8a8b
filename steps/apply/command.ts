import { notBuilt } from '../core/command.js';
export const command = notBuilt('apply', 'Server-side apply the rendered objects, or the ManifestWork on the ACM hub');
