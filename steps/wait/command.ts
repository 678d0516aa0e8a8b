import path from 'node:path';
import type { CommandSpec } from '../core/command.js';
import { ExitCode } from '../core/exit-codes.js';
import { EnvironmentError } from '../core/errors.js';
import { addDeadlineOptions, FlagProblems } from '../core/flags.js';
import { writeJsonAtomic } from '../core/atomic.js';
import { endpointProblems, maskUrl, resolveEnvRefs } from '../core/targets.js';
import { assertValid } from '../core/schemas.js';
import { CONFIG_DEFAULTS } from '../core/config.js';
import { workdirLayout } from '../core/paths.js';
import type { DeployReport } from '../core/types/deploy-report.js';
import { addClusterOptions, resolveClusterOptions } from '../cluster/options.js';
import { addConnectionOptions, connect } from '../cluster/connect.js';
import { waitReady } from './wait.js';

export const command: CommandSpec = {
  name: 'wait',
  summary: 'Wait until the server is ready and answers a one-token request; diagnose if not',
  configure(c) {
    addDeadlineOptions(addConnectionOptions(addClusterOptions(c)), {
      timeout: `deadline in seconds (default: cluster.ready_timeout_s, ${CONFIG_DEFAULTS.cluster.ready_timeout_s})`,
      poll: 'seconds between status reads',
      pollDefault: '5',
    })
      .option('--pending-timeout <s>', 'fail when a pod stays unschedulable (e.g. no free GPU) this long', '600')
      .option('--endpoint <url>', 'reach the server here instead of its Route/Service (port-forward)')
      .option('--request-timeout <s>', 'timeout of each health check and of the one-token request', '30')
      .option('--progress-interval <s>', 'seconds between progress events while waiting', '15');
  },
  helpAfter:
    'Writes <workdir>/deploy/<backend>.json (schemas/deploy-report.schema.json), also when the server is not ready (with the diagnosis).\nExit 0 when ready; 3 with a diagnosis code and hint when not (CrashLoopBackOff/SCC, OOMKilled, GPU Pending, ImagePullBackOff, ProgressDeadlineExceeded, slow model download, ACM not ready).',
  async run(opts, ctx) {
    const flags = new FlagProblems(opts);
    const { timeoutS, pollS } = flags.deadline();
    const pendingS = flags.number('--pending-timeout', { gt: 0 })!;
    const reqS = flags.number('--request-timeout', { gt: 0 })!;
    const progressS = flags.number('--progress-interval', { gt: 0 })!;
    const endpoint = opts.endpoint as string | undefined;
    if (endpoint !== undefined && endpoint !== '')
      flags.problems.push(...endpointProblems(endpoint, '--endpoint', ctx.env));
    const o = await resolveClusterOptions(opts, ctx.cwd);
    flags.throwIfAny('wait-options-invalid', `invalid options (${flags.problems.length})`);
    const client = connect(opts, o, ctx);
    const result = await waitReady(
      client,
      {
        backend: o.render.backend,
        namespace: o.render.namespace,
        runId: o.render.runId,
        mode: o.target.mode,
        cluster: o.target.cluster,
        timeoutS: timeoutS ?? o.render.readyTimeoutS,
        pollMs: pollS * 1000,
        pendingTimeoutS: pendingS,
        endpoint: endpoint ? resolveEnvRefs(endpoint, ctx.env) : undefined,
        requestTimeoutMs: reqS * 1000,
        servedName: (opts.servedName as string | undefined) ?? undefined,
        progressIntervalMs: progressS * 1000,
      },
      ctx.log,
      ctx.signal,
    );
    const file = workdirLayout(path.resolve(ctx.cwd, opts.workdir as string)).deploy(o.render.backend);
    // Credentials of --endpoint never reach the report (or stdout): the password is masked.
    const report = { ...result.report, endpoint: maskUrl(result.report.endpoint) };
    await writeJsonAtomic(file, assertValid<DeployReport>('deploy-report', report, 'deploy report'));
    if (result.diagnosis) {
      throw new EnvironmentError(
        result.diagnosis.code,
        `${o.render.backend} is not ready: ${result.diagnosis.message}`,
        { hint: result.diagnosis.hint },
      );
    }
    ctx.log.info(`${o.render.backend} ready`, {
      endpoint: report.endpoint,
      seconds: result.report.timings_s?.total,
      report: file,
    });
    ctx.stdout(report.endpoint + '\n');
    return ExitCode.OK;
  },
};
