import { notBuilt } from '../core/command.js';
export const command = notBuilt('analyze', 'Aggregate sweep outputs and decide pass / regression / inconclusive against a baseline', (c) =>
  c.option('--runs <dir>', 'directory of sweep outputs').option('--out <dir>', 'output directory').option('--baseline <file>', 'baseline file').option('--write-baseline <file>', 'write a baseline from this run'),
);
