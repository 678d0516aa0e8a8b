import type { CommandSpec } from '../core/command.js';
import { ExitCode } from '../core/exit-codes.js';
import { addClusterOptions, addFanoutOptions, resolveClusterOptions } from '../cluster/options.js';
import { GPU_PROFILES, engineSettings, gpuResource } from '../cluster/profiles.js';
import { renderObjects, toYaml } from './render.js';

export const command: CommandSpec = {
  name: 'render',
  summary: 'Print the Kubernetes objects (or ACM ManifestWorks) that apply would apply',
  configure(c) {
    addFanoutOptions(addClusterOptions(c)).option(
      '--list-gpu-profiles',
      'list GPU profiles and the settings each implies, then exit',
    );
  },
  async run(opts, ctx) {
    if (opts.listGpuProfiles) {
      for (const p of GPU_PROFILES) {
        const s = engineSettings(p);
        ctx.stdout(
          `${p.id.padEnd(18)} ${gpuResource(p).padEnd(15)} ${String(p.memory_gib).padStart(3)} GiB  max_model_len=${s.max_model_len} gpu_memory_utilization=${s.gpu_memory_utilization} vllm_quantization=${s.vllm_quantization ?? 'none'} tgi_quantize=${s.tgi_quantize ?? 'none'}  ${p.description}\n`,
        );
      }
      return ExitCode.OK;
    }
    const o = await resolveClusterOptions(opts, ctx.cwd);
    ctx.stdout(toYaml(renderObjects(o.render, o.target, o.prerequisites)));
    return ExitCode.OK;
  },
};
