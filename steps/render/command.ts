import { notBuilt } from '../core/command.js';
export const command = notBuilt('render', 'Print the Kubernetes objects (or ACM ManifestWorks) that apply would apply', (c) =>
  c.option('--backend <kind>', 'vllm | tgi | triton').option('--gpu-profile <id>').option('--acm').option('--cluster <name>'),
);
