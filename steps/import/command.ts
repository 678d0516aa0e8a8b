import { notBuilt } from '../core/command.js';
export const command = notBuilt('import', "Convert other tools' results (seed, vllm, guidellm, aiperf) into a runs directory", (c) =>
  c.option('--format <fmt>', 'seed | vllm | guidellm | aiperf').option('--out <dir>', 'output runs directory').argument('[files...]'),
);
