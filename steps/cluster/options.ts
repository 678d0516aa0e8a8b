import path from 'node:path';
import { Option, type Command } from 'commander';
import { InvalidInputError, type Problem, problemCount } from '../core/errors.js';
import { loadConfig, type ResolvedConfig } from '../core/config.js';
import { BACKENDS, type BackendKind } from './profiles.js';
import { RENDER_DEFAULTS, withDefaults, type RenderOptions } from './render.js';

/** Where the objects go: straight to a namespace, or through a ManifestWork on the ACM hub. */
export interface Target {
  mode: 'direct' | 'acm';
  /** Managed cluster (= ManifestWork namespace on the hub) in ACM mode. */
  cluster?: string;
  /** ACM fan-out: a Placement + ManifestWorkReplicaSet in a hub namespace instead of one ManifestWork. */
  fanout?: { hubNamespace: string; clusterLabels: Record<string, string> };
}

export interface ClusterOptions {
  render: RenderOptions;
  target: Target;
  prerequisites: boolean;
  config?: ResolvedConfig;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

/** Flags shared by render, apply, wait and teardown (they must agree on what the objects are). */
export function addClusterOptions(c: Command): Command {
  return c
    .option(
      '--config <file>',
      'bench config (cluster.*, gpu_profile, model.*, backends[].image/engine_args/model); flags win',
    )
    .addOption(new Option('--backend <kind>', 'server').choices([...BACKENDS]))
    .option('--gpu-profile <id>', `GPU profile (default ${RENDER_DEFAULTS.gpuProfile}; render --list-gpu-profiles)`)
    .option('--namespace <ns>', `namespace (default ${RENDER_DEFAULTS.namespace})`)
    .option('--model <id>', `Hugging Face model id (default ${RENDER_DEFAULTS.model})`)
    .option('--served-name <name>', `served model name (default ${RENDER_DEFAULTS.servedName})`)
    .option('--image <ref>', 'server image (default: upstream image for the server and GPU vendor)')
    .option('--engine-arg <arg>', 'extra server argument, repeatable (e.g. --engine-arg=--seed=1)', collect)
    .option('--route', `create an OpenShift Route (default ${RENDER_DEFAULTS.route ? 'on' : 'off: the Service URL'})`)
    .option('--no-route', 'no Route (plain Kubernetes)')
    .option(
      '--privileged-scc',
      'opt in: bind the privileged SCC to the server ServiceAccount (images that must run as root)',
    )
    .addOption(
      new Option(
        '--mig-strategy <s>',
        'NVIDIA MIG strategy: single → nvidia.com/gpu, mixed → nvidia.com/mig-<slice>',
      ).choices(['single', 'mixed']),
    )
    .addOption(
      new Option(
        '--model-cache <where>',
        'pvc: HF cache on a PVC kept across teardowns; image: weights baked in (llmbench build)',
      ).choices(['pvc', 'image']),
    )
    .option('--cache-size <q>', `model cache PVC size (default ${RENDER_DEFAULTS.cacheSize})`)
    .option('--ready-timeout <s>', 'seconds allowed for model download + load (startup probe, wait deadline)')
    .option('--run-id <id>', 'run id carried by the server object names (Tekton: the PipelineRun name)')
    .option(
      '--pipeline-run <name>',
      'owning PipelineRun: labels the server for `llmbench gc` and scopes its NetworkPolicy',
    )
    .option(
      '--client-namespace <ns>',
      `namespace of the benchmark's pods, the only one admitted to the server (default ${RENDER_DEFAULTS.clientNamespace})`,
    )
    .option('--acm', 'through Red Hat ACM: ManifestWorks in the managed cluster namespace on the hub')
    .option('--cluster <name>', 'ACM managed cluster name (with --acm)')
    .option('--no-prerequisites', 'leave out the namespace, ServiceAccounts and RBAC');
}

/** Fan-out flags (render, apply, teardown): one ManifestWorkReplicaSet for every cluster matching labels. */
export function addFanoutOptions(c: Command): Command {
  return c
    .option('--fanout', 'with --acm: a Placement + ManifestWorkReplicaSet (work/v1alpha1) instead of one ManifestWork')
    .option('--cluster-selector <k=v>', 'with --fanout: managed cluster label to match, repeatable', collect)
    .option('--hub-namespace <ns>', 'with --fanout: hub namespace bound to a ManagedClusterSet (default llmbench)');
}

/** Resolves flags > config file > defaults and validates everything before any work; every problem at once. */
export async function resolveClusterOptions(
  raw: Record<string, unknown>,
  cwd: string,
  requireBackend = true,
): Promise<ClusterOptions> {
  const problems: Problem[] = [];
  // Pipelines pass empty strings for unset params (e.g. --image ""): treat them as not given.
  const opts = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== ''));
  const config = typeof opts.config === 'string' ? await loadConfig(path.resolve(cwd, opts.config)) : undefined;
  const backend = opts.backend as BackendKind | undefined;
  if (!backend && requireBackend)
    problems.push({ path: '--backend', message: `is required (${BACKENDS.join(' | ')})` });
  const cfgBackend = config?.backends.find((b) => b.kind === backend);
  const num = (v: unknown, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) problems.push({ path: flag, message: 'must be a positive number' });
    return n;
  };
  const readyTimeoutS = num(opts.readyTimeout, '--ready-timeout') ?? config?.cluster.ready_timeout_s;
  const acm = opts.acm === true || (config?.cluster.mode as string | undefined) === 'acm';
  const cluster = (opts.cluster as string | undefined) ?? config?.cluster.managed_cluster;
  const fanout = opts.fanout === true;
  const selectors = (opts.clusterSelector as string[] | undefined) ?? [];
  const clusterLabels: Record<string, string> = {};
  if (fanout) {
    if (!acm) problems.push({ path: '--acm', message: 'is required with --fanout' });
    if (!selectors.length)
      problems.push({ path: '--cluster-selector', message: 'at least one key=value is required with --fanout' });
    for (const sel of selectors) {
      const m = /^([A-Za-z0-9./_-]+)=([A-Za-z0-9._-]*)$/.exec(sel);
      if (!m) problems.push({ path: '--cluster-selector', message: `'${sel}' is not key=value` });
      else clusterLabels[m[1]] = m[2];
    }
  } else if (selectors.length || opts.hubNamespace !== undefined) {
    problems.push({ path: '--fanout', message: '--cluster-selector and --hub-namespace only apply with --fanout' });
  }
  const hubNamespace = (opts.hubNamespace as string | undefined) ?? 'llmbench';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(hubNamespace))
    problems.push({ path: '--hub-namespace', message: 'must be a DNS-1123 label' });
  if (acm && !cluster && !fanout)
    problems.push({ path: '--cluster', message: 'is required with --acm (the managed cluster name)' });
  if (fanout && opts.cluster !== undefined)
    problems.push({ path: '--cluster', message: 'not with --fanout (the Placement picks the clusters)' });
  if (!acm && opts.cluster !== undefined) problems.push({ path: '--cluster', message: 'only applies with --acm' });
  if (cluster !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(cluster))
    problems.push({ path: '--cluster', message: 'must be a DNS-1123 subdomain' });
  // --route is declared before --no-route, so commander leaves it undefined unless a flag was given.
  const routeFlag = typeof opts.route === 'boolean' ? opts.route : undefined;
  const render = withDefaults({
    backend: backend ?? 'vllm',
    gpuProfile: (opts.gpuProfile as string | undefined) ?? config?.gpu_profile,
    namespace: (opts.namespace as string | undefined) ?? config?.cluster.namespace,
    model: (opts.model as string | undefined) ?? config?.model.name,
    servedName: (opts.servedName as string | undefined) ?? cfgBackend?.model ?? config?.model.served_name,
    image: (opts.image as string | undefined) ?? cfgBackend?.image,
    engineArgs: (opts.engineArg as string[] | undefined) ?? cfgBackend?.engine_args,
    route: routeFlag ?? config?.cluster.route,
    privilegedScc: opts.privilegedScc === true ? true : config?.cluster.privileged_scc,
    migStrategy: opts.migStrategy as RenderOptions['migStrategy'] | undefined,
    modelCache: opts.modelCache as RenderOptions['modelCache'] | undefined,
    cacheSize: opts.cacheSize as string | undefined,
    readyTimeoutS,
    runId: opts.runId as string | undefined,
    pipelineRun: opts.pipelineRun as string | undefined,
    clientNamespace: opts.clientNamespace as string | undefined,
  });
  if (problems.length) {
    throw new InvalidInputError('cluster-options-invalid', `invalid options (${problemCount(problems.length)})`, {
      problems,
      hint: 'See --help; flags override the config file.',
    });
  }
  const target: Target = fanout
    ? { mode: 'acm', fanout: { hubNamespace, clusterLabels } }
    : { mode: acm ? 'acm' : 'direct', cluster: acm ? cluster : undefined };
  return { render, target, prerequisites: opts.prerequisites !== false, config };
}
