import { notBuilt } from '../core/command.js';
export const command = notBuilt('sim', 'Run one simulated vLLM, TGI or Triton server on 127.0.0.1', (c) =>
  c.option('--backend <kind>', 'vllm | tgi | triton').option('--port <n>', 'port (0 picks a free one)', '0').option('--gpu <profile>', 'GPU profile').option('--model <profile>', 'model profile').option('--seed <n>', 'jitter seed'),
);
