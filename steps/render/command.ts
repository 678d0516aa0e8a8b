import type { CommandSpec } from '../core/command.js';
import { ExitCode } from '../core/exit-codes.js';
import { InvalidInputError } from '../core/errors.js';
import { addClusterOptions, resolveClusterOptions } from '../cluster/options.js';
import { GPU_PROFILES, engineSettings, gpuResource } from '../cluster/profiles.js';
import { renderFanOut, renderObjects, toYaml } from './render.js';

export const command: CommandSpec = {
  name: 'render',
  summary: 'Print the Kubernetes objects (or ACM ManifestWorks) that apply would apply',
  configure(c) {
    addClusterOptions(c)
      .option('--fanout', 'with --acm: a ManifestWorkReplicaSet + Placement instead of one ManifestWork (alpha API)')
      .option('--cluster-selector <k=v>', 'with --fanout: managed cluster label to select, repeatable', (v: string, p: string[] = []) => [...p, v])
      .option('--hub-namespace <ns>', 'with --fanout: hub namespace bound to a ManagedClusterSet', 'llmbench')
      .option('--list-gpu-profiles', 'list GPU profiles and the settings each implies, then exit');
  },
  async run(opts, ctx) {
    if (opts.listGpuProfiles) {
      for (const p of GPU_PROFILES) {
        const s = engineSettings(p);
        ctx.stdout(`${p.id.padEnd(18)} ${gpuResource(p).padEnd(15)} ${String(p.memory_gib).padStart(3)} GiB  max_model_len=${s.max_model_len} gpu_memory_utilization=${s.gpu_memory_utilization} vllm_quantization=${s.vllm_quantization ?? 'none'} tgi_quantize=${s.tgi_quantize ?? 'none'}  ${p.description}\n`);
      }
      return ExitCode.OK;
    }
    if (opts.fanout) {
      const selectors = (opts.clusterSelector as string[] | undefined) ?? [];
      const labels: Record<string, string> = {};
      const bad = selectors.filter((s) => !/^[^=]+=[^=]*$/.test(s));
      if (!opts.acm || !selectors.length || bad.length) {
        throw new InvalidInputError('render-fanout-invalid', '--fanout needs --acm and at least one --cluster-selector key=value', {
          problems: [
            ...(!opts.acm ? [{ path: '--acm', message: 'is required with --fanout' }] : []),
            ...(!selectors.length ? [{ path: '--cluster-selector', message: 'at least one is required with --fanout' }] : []),
            ...bad.map((b) => ({ path: '--cluster-selector', message: `'${b}' is not key=value` })),
          ],
        });
      }
      for (const s of selectors) labels[s.split('=')[0]] = s.split('=')[1];
      const o = await resolveClusterOptions({ ...opts, acm: undefined, cluster: undefined }, ctx.cwd);
      ctx.stdout(toYaml(renderFanOut(o.render, opts.hubNamespace as string, labels)));
      return ExitCode.OK;
    }
    const o = await resolveClusterOptions(opts, ctx.cwd);
    ctx.stdout(toYaml(renderObjects(o.render, o.target, o.prerequisites)));
    return ExitCode.OK;
  },
};
