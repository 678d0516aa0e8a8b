import path from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../core/command.js';
import { KubeClient, loadKubeConfig, DEFAULT_RETRY } from './kube.js';
import type { ClusterOptions } from './options.js';

/** Flags for reaching the API server (the hub in ACM mode). */
export function addConnectionOptions(c: Command): Command {
  return c
    .option(
      '--kubeconfig <file>',
      'kubeconfig (default: $KUBECONFIG, the in-cluster ServiceAccount, ~/.kube/config); the ACM hub with --acm',
    )
    .option('--context <name>', 'kubeconfig context')
    .option('--workdir <dir>', 'work directory (deploy/<backend>.*)', '.');
}

export function connect(opts: Record<string, unknown>, o: ClusterOptions, ctx: CommandContext): KubeClient {
  const kubeconfig = (opts.kubeconfig as string | undefined) ?? o.config?.cluster.kubeconfig;
  const { kc, source } = loadKubeConfig({
    kubeconfig: kubeconfig ? path.resolve(ctx.cwd, kubeconfig) : undefined,
    context: opts.context as string | undefined,
    env: ctx.env,
    // Where the pod's ServiceAccount token is mounted (overridable so tests can play a pod).
    serviceAccountDir: ctx.env.LLMBENCH_SERVICE_ACCOUNT_DIR,
  });
  const client = new KubeClient(kc, ctx.log, retryFromEnv(ctx.env), ctx.signal);
  ctx.log.info('kubernetes API', { server: client.server, credentials: source });
  return client;
}

/** LLMBENCH_KUBE_RETRY_MS shrinks backoff in tests; attempts stay the same. */
function retryFromEnv(env: NodeJS.ProcessEnv) {
  const base = Number(env.LLMBENCH_KUBE_RETRY_MS);
  return Number.isFinite(base) && base > 0 ? { ...DEFAULT_RETRY, baseMs: base, maxMs: base * 8 } : DEFAULT_RETRY;
}
