import { notBuilt } from '../core/command.js';
export const command = notBuilt('report', 'Write SUMMARY.md and post the sticky PR comment and commit status', (c) =>
  c.option('--workdir <dir>', 'work directory').option('--github-repo <owner/name>').option('--pr <n>').option('--sha <sha>').option('--github-api <url>'),
);
