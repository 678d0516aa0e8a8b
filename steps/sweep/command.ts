import { notBuilt } from '../core/command.js';
export const command = notBuilt('sweep', 'Measure one backend over a load sweep; writes samples.ndjson and summary.json', (c) =>
  c.option('--backend <kind>', 'vllm | tgi | triton').option('--url <url>', 'server base URL').option('--out <dir>', 'output directory'),
);
