/**
 * Every error code llmbench reports, declared once: its exit code (from the one table in exit-codes.ts), what it
 * means, and the hint shown when the throw site gives none. The error constructors take only these keys, so tsc
 * rejects an undeclared code, and a code thrown as InvalidInputError must exit 2 and one thrown as
 * EnvironmentError must exit 3. steps/core/ERRORS.md is generated from this table (`npm run gen:errors`) and a test
 * fails when it drifts. Users and tests match on the codes: rename one only with a note in the changelog.
 *
 * To add a code: add a line here (keep the folder grouping), run `npm run gen:errors`, commit both.
 */
import { ExitCode, type ExitCodeValue } from './exit-codes.js';

export interface ErrorCodeInfo {
  /** The exit code a command ends with when this error reaches the top-level catch. */
  exit: ExitCodeValue;
  /** One line: what happened. */
  meaning: string;
  /** What the human should do; used when the throw site passes no hint of its own. */
  hint: string;
}

const INVALID = ExitCode.INVALID_INPUT;
const ENV = ExitCode.ENVIRONMENT;

export const ERROR_CODES = {
  // steps/core: configuration, schemas, the top-level catch
  'config-unreadable': {
    exit: INVALID,
    meaning: 'The --config file cannot be read.',
    hint: 'Check the --config path.',
  },
  'config-parse': {
    exit: INVALID,
    meaning: 'The config file is not valid YAML.',
    hint: 'Fix the YAML syntax (indentation, colons, quotes) at the line shown.',
  },
  'config-empty': {
    exit: INVALID,
    meaning: 'The config file is empty.',
    hint: 'Start from the example in README.md (at least `version: 1` and one backend).',
  },
  'config-invalid': {
    exit: INVALID,
    meaning: 'The config does not match schemas/bench-config.schema.json.',
    hint: 'Each problem names the field by path and line; schemas/bench-config.schema.json describes every field.',
  },
  'schema-invalid': {
    exit: INVALID,
    meaning: 'A file or object does not match its schema in schemas/.',
    hint: 'Fix the listed fields; the schema named in the message describes each one.',
  },
  internal: {
    exit: ENV,
    meaning: 'An unexpected error (a bug, or an environment failure no step anticipated); logged by steps/cli.ts.',
    hint: 'Re-run with LLMBENCH_DEBUG=1 for the stack trace and report it.',
  },

  'output-is-symlink': {
    exit: INVALID,
    meaning: 'An output file already exists as a symbolic link; outputs never follow links.',
    hint: 'Remove the link or pick another --out/--workdir; nothing was written through it.',
  },
  'line-too-long': {
    exit: INVALID,
    meaning: 'A line of an NDJSON input is longer than the line-size bound.',
    hint: 'The file is corrupt or not what it claims to be; regenerate it (the message names file and line).',
  },
  interrupted: {
    exit: ExitCode.INTERRUPTED,
    meaning: 'The first SIGINT/SIGTERM stopped the command; what it had written is kept.',
    hint: 'Stopped on request; a sweep continues with --resume.',
  },

  // steps/adapters, steps/workload
  'unknown-backend': {
    exit: INVALID,
    meaning: 'No protocol adapter is registered under this server name.',
    hint: 'Use one of the servers the message lists.',
  },
  'unknown-api': {
    exit: INVALID,
    meaning: 'The server does not speak the requested API.',
    hint: 'Pick an API the message lists for this server.',
  },
  'dataset-unreadable': {
    exit: INVALID,
    meaning: 'The dataset file cannot be read.',
    hint: 'Give a .jsonl or ShareGPT .json file, or synthetic / builtin.',
  },
  'dataset-invalid': {
    exit: INVALID,
    meaning: 'The dataset file is not valid JSON, or not the expected shape.',
    hint: 'JSONL: one {"prompt": "..."} per line. ShareGPT: [{"conversations": [{"from": "human", "value": "..."}]}].',
  },
  'dataset-empty': {
    exit: INVALID,
    meaning: 'The dataset holds no prompt.',
    hint: 'Give a dataset with at least one prompt, or use synthetic / builtin.',
  },

  // steps/sim
  'sim-options': {
    exit: INVALID,
    meaning: 'Invalid simulator flags or options.',
    hint: 'See `llmbench sim --help`.',
  },
  'sim-profile': {
    exit: INVALID,
    meaning: 'A simulator GPU, model or backend profile is invalid or inconsistent.',
    hint: 'Profiles live in steps/sim/profiles/{gpu,model,backend}/<id>.json.',
  },
  'sim-does-not-fit': {
    exit: ENV,
    meaning: 'The simulated model does not fit in the simulated GPU memory.',
    hint: 'Use a quantized model profile (e.g. mistral-7b-instruct-bnb-nf4), a larger GPU, or a smaller max_model_len.',
  },
  'sim-start-failed': {
    exit: ENV,
    meaning: 'A simulated server process did not start.',
    hint: "The simulator's last output lines, shown with the error, say why it did not start.",
  },

  // steps/sweep
  'sweep-flags-invalid': {
    exit: INVALID,
    meaning: 'Invalid `llmbench sweep` flags.',
    hint: 'Run `llmbench sweep --help` for the flags and examples.',
  },
  'sweep-plan-invalid': {
    exit: INVALID,
    meaning: 'The sweep plan (points, trials, requests/duration) is invalid.',
    hint: 'See `llmbench sweep --help`.',
  },
  'out-not-empty': {
    exit: INVALID,
    meaning: 'The --out directory already holds a sweep.',
    hint: 'Use --resume to continue that sweep, or pick a new --out; earlier results are never overwritten.',
  },
  'resume-mismatch': {
    exit: INVALID,
    meaning: 'The sweep to resume was started with a different plan or workload.',
    hint: 'Resume with exactly the same flags (points, trials, warmup, requests/duration, seed, dataset, token lengths).',
  },
  'no-successful-requests': {
    exit: ENV,
    meaning: 'Not one request of the sweep succeeded.',
    hint: 'Check the URL, the model name (--model) and that the server is ready (llmbench wait). Samples with error details are in samples.ndjson.',
  },
  'client-thread-failed': {
    exit: ENV,
    meaning: 'A load-generator client thread stopped.',
    hint: 'Every finished request is in samples.ndjson: continue with --resume, or rerun with --client-threads 1.',
  },

  // steps/analyze, steps/import
  'analyze-flags': {
    exit: INVALID,
    meaning: '`llmbench analyze` is missing --runs or --out.',
    hint: 'llmbench analyze --runs <workdir>/runs --out <workdir>/analysis [--baseline FILE]',
  },
  'runs-missing': {
    exit: INVALID,
    meaning: 'The runs directory does not exist.',
    hint: 'Pass the directory that sweep wrote into (e.g. <workdir>/runs).',
  },
  'runs-not-dir': {
    exit: INVALID,
    meaning: 'The runs path is not a directory.',
    hint: 'Pass a directory of sweep outputs.',
  },
  'runs-empty': {
    exit: INVALID,
    meaning: 'The runs directory holds no <backend>/summary.json.',
    hint: 'Run `llmbench sweep` (or `llmbench import`) into this directory first.',
  },
  'runs-invalid': {
    exit: INVALID,
    meaning: 'A sweep output in the runs directory does not match its schema.',
    hint: 'Each <backend>/summary.json must match schemas/sweep-summary.schema.json.',
  },
  'baseline-missing': {
    exit: INVALID,
    meaning: 'The --baseline file does not exist.',
    hint: 'Create one from a clean run with `llmbench analyze --runs DIR --out DIR --write-baseline FILE`.',
  },
  'baseline-invalid': {
    exit: INVALID,
    meaning: 'The baseline is not JSON or does not match schemas/baseline.schema.json.',
    hint: 'Regenerate it with --write-baseline.',
  },
  'baseline-schema-mismatch': {
    exit: INVALID,
    meaning: 'The baseline was written in a format version this llmbench does not read.',
    hint: 'Regenerate the baseline with this version (`llmbench analyze … --write-baseline FILE`) from a clean run.',
  },
  'baseline-from-invalid-run': {
    exit: INVALID,
    meaning: '--write-baseline was refused: the run is not clean.',
    hint: 'Baselines are built only from clean runs: fix the listed problems and rerun the sweep.',
  },
  'import-flags': {
    exit: INVALID,
    meaning: 'Invalid `llmbench import` arguments.',
    hint: 'llmbench import --format vllm result.json --backend vllm --out runs/',
  },
  'import-invalid': {
    exit: INVALID,
    meaning: 'A file to import is not what the named tool writes.',
    hint: 'Pass result files written by the tool named by --format; nothing was written.',
  },
  'import-too-large': {
    exit: INVALID,
    meaning: 'The files to import exceed a size bound.',
    hint: 'Import fewer files at once (e.g. one load point per import, into different --out directories). Nothing was written.',
  },
  'import-out': {
    exit: INVALID,
    meaning: '--out exists and is not a directory (or is a symbolic link).',
    hint: 'Pass a new directory (or an existing runs directory) as --out; nothing was written.',
  },
  'import-exists': {
    exit: INVALID,
    meaning: '--out already holds results for a backend being imported.',
    hint: 'Import into a new --out directory; earlier results are never overwritten. Nothing was written.',
  },

  'samples-cap': {
    exit: INVALID,
    meaning: 'A load point holds more samples or chunk stamps than the documented cap (bounded memory).',
    hint: 'Split the run or raise LLMBENCH_MAX_SAMPLES_PER_POINT / LLMBENCH_MAX_STAMPS_PER_POINT (steps/analyze/README.md).',
  },
  'samples-corrupt': {
    exit: INVALID,
    meaning: 'samples.ndjson holds more corrupt lines than the cap, or a line that cannot be a sample.',
    hint: 'The message names the file and line; regenerate the run or remove the damaged lines.',
  },

  // steps/plot, steps/report, steps/run
  'bad-flag': { exit: INVALID, meaning: 'An invalid `llmbench plot` flag.', hint: 'See `llmbench plot --help`.' },
  'nothing-to-plot': {
    exit: INVALID,
    meaning: 'The work directory has neither sweep results nor an analysis.',
    hint: 'Run `llmbench sweep` (or `llmbench run`) into this work directory first.',
  },
  'report-bad-args': {
    exit: INVALID,
    meaning: 'The GitHub options of `llmbench report` are incomplete or invalid.',
    hint: 'Give --github-repo OWNER/NAME --pr N --sha SHA together, with GITHUB_TOKEN in the environment; or none of them for local files only.',
  },
  'report-input-invalid': {
    exit: INVALID,
    meaning: 'A file in the work directory does not match its schema.',
    hint: 'Re-run the step that wrote the listed file; each file must match its schema in schemas/.',
  },
  'github-unauthorized': {
    exit: ENV,
    meaning: 'GitHub rejected the token (401).',
    hint: 'GITHUB_TOKEN is missing, expired or revoked (GitHub App installation tokens last one hour).',
  },
  'github-rate-limited': {
    exit: ENV,
    meaning: 'The token ran out of GitHub API rate limit.',
    hint: 'Wait for x-ratelimit-reset or use a GitHub App token.',
  },
  'github-forbidden': {
    exit: ENV,
    meaning: 'The token lacks a permission the call needs (403).',
    hint: 'It needs pull-requests/issues write (comment), statuses or checks write (status), and contents write for the assets branch.',
  },
  'github-not-found': {
    exit: ENV,
    meaning: 'GitHub answered 404 (repository, pull request or commit).',
    hint: 'Check --github-repo and --pr (and --github-api for GitHub Enterprise); GitHub also answers 404 when the token cannot see a private repository.',
  },
  'github-rejected': {
    exit: ENV,
    meaning: 'GitHub rejected the request (422 or another 4xx).',
    hint: 'For a status this usually means --sha is not a commit of the repository.',
  },
  'github-unavailable': {
    exit: ENV,
    meaning: 'GitHub did not answer successfully after retries.',
    hint: 'The local report files are complete: re-run `llmbench report` later.',
  },
  'workdir-not-empty': {
    exit: INVALID,
    meaning: 'The work directory of `llmbench run` already holds results.',
    hint: 'Pick a new --workdir (the default makes a fresh timestamped one); earlier results are never overwritten.',
  },

  'run-flags-invalid': {
    exit: INVALID,
    meaning: 'A flag of `llmbench run` has a value it does not accept.',
    hint: 'Run `llmbench run --help`.',
  },
  'sweep-thread-failed': {
    exit: ENV,
    meaning: 'A backend swept on its own worker thread by `llmbench run` failed or exited before it finished.',
    hint: 'Rerun with `llmbench run --sequential` to sweep on the main thread; LLMBENCH_DEBUG=1 prints the stack.',
  },

  'server-metrics-cap': {
    exit: INVALID,
    meaning: 'server-metrics.ndjson is larger than plot reads (bounded memory).',
    hint: 'The file is corrupt or from a far longer sweep than the plots can show; the message names the cap.',
  },
  'github-deadline': {
    exit: ENV,
    meaning: 'The GitHub calls of one report did not finish within the total deadline.',
    hint: 'GitHub is slow or unreachable; re-run report later (the comment is updated in place).',
  },
  'github-timeout': {
    exit: ENV,
    meaning: 'One GitHub API call did not answer within the per-call deadline.',
    hint: 'GitHub is slow or unreachable; re-run report later (the comment is updated in place).',
  },
  'run-targets-invalid': {
    exit: INVALID,
    meaning: 'An endpoint, header or dataset of the run config is invalid (checked as sweep checks them).',
    hint: 'Nothing was written. Endpoints are absolute http(s) URLs; ${NAME} references need the variable set.',
  },

  // steps/build
  'build-options-invalid': {
    exit: INVALID,
    meaning: 'Invalid `llmbench build` options.',
    hint: 'See llmbench build --help.',
  },
  'dockerfile-missing': {
    exit: INVALID,
    meaning: 'The image Dockerfile is not under the build source directory.',
    hint: 'Run llmbench build from the repository checkout (or pass --source DIR).',
  },
  'registry-invalid': {
    exit: INVALID,
    meaning: '--registry is not host[:port][/path].',
    hint: 'Pass a registry such as quay.io/myorg or 127.0.0.1:5000.',
  },
  'no-base-image': {
    exit: INVALID,
    meaning: 'The server has no published base image for the requested GPU vendor.',
    hint: 'Pick another --gpu-vendor, or another server.',
  },
  'registry-unavailable': {
    exit: ENV,
    meaning: 'The image registry cannot be reached or refused the request.',
    hint: 'Check the registry address (--registry, --plain-http for an HTTP registry), network access and credentials (REGISTRY_AUTH_FILE).',
  },

  // steps/cluster, steps/render, steps/apply, steps/teardown
  'cluster-options-invalid': {
    exit: INVALID,
    meaning: 'Invalid cluster options (flags or the config cluster section).',
    hint: 'See --help; flags override the config file.',
  },
  'unknown-gpu-profile': {
    exit: INVALID,
    meaning: 'No GPU profile has this id.',
    hint: 'Pick the profile closest to your GPU (llmbench render --list-gpu-profiles); memory decides the engine settings.',
  },
  'render-invalid': {
    exit: INVALID,
    meaning: 'The manifests cannot be rendered from these options.',
    hint: 'Fix the listed options; `llmbench render --help` lists them.',
  },
  'manifestwork-too-large': {
    exit: INVALID,
    meaning: 'A ManifestWork would exceed the hub limit of 500 KiB.',
    hint: 'Shrink what is embedded (engine args, ConfigMap data), or split it into more ManifestWorks.',
  },
  'kubeconfig-missing': {
    exit: INVALID,
    meaning: 'The kubeconfig named by --kubeconfig, the config or KUBECONFIG does not exist.',
    hint: 'Check the path given with --kubeconfig, cluster.kubeconfig or KUBECONFIG.',
  },
  'kubeconfig-unreadable': {
    exit: INVALID,
    meaning: 'The kubeconfig cannot be loaded.',
    hint: 'Point --kubeconfig (or KUBECONFIG) at a valid kubeconfig file.',
  },
  'kube-context-unknown': {
    exit: INVALID,
    meaning: 'The --context is not in the kubeconfig.',
    hint: 'Pick one of the contexts the message lists (kubectl config get-contexts).',
  },
  'no-kube-credentials': {
    exit: ENV,
    meaning: 'No Kubernetes credentials were found.',
    hint: 'Pass --kubeconfig FILE, set KUBECONFIG, or run in a pod whose ServiceAccount token is mounted.',
  },
  'kube-server-unset': {
    exit: ENV,
    meaning: 'The current kubeconfig context has no usable API server URL.',
    hint: 'Check the kubeconfig (kubectl config view --minify).',
  },
  'kube-unauthorized': {
    exit: ENV,
    meaning: 'The Kubernetes API server rejected the credentials (401).',
    hint: 'Refresh the token (oc login) or the ServiceAccount secret.',
  },
  'kube-forbidden': {
    exit: ENV,
    meaning: 'RBAC denies the request (403).',
    hint: 'Bind the llmbench-runner Role (manifests/prerequisites.yaml) to the ServiceAccount running llmbench, or apply prerequisites as a namespace admin.',
  },
  'kube-rejected': {
    exit: ENV,
    meaning: 'The API server rejected an object (400/422).',
    hint: 'Check the cluster version and admission policies (the message names the field).',
  },
  'namespace-missing': {
    exit: ENV,
    meaning: 'The namespace does not exist.',
    hint: 'Apply the prerequisites first (llmbench apply without --no-prerequisites, as a namespace admin) or create it.',
  },
  'kind-not-served': {
    exit: ENV,
    meaning: 'The cluster does not serve a kind llmbench needs (Route, ManifestWork, …); nothing was applied.',
    hint: 'Use --no-route on plain Kubernetes; ManifestWorks need the ACM/OCM hub.',
  },
  'kube-unavailable': {
    exit: ENV,
    meaning: 'The API server kept failing or was unreachable after retries.',
    hint: 'Check connectivity and the API server health.',
  },
  'kube-error': {
    exit: ENV,
    meaning: 'Any other Kubernetes API failure.',
    hint: "The message carries the API server's answer; check the cluster, then retry.",
  },
  'teardown-options-invalid': {
    exit: INVALID,
    meaning: 'Invalid `llmbench teardown` options.',
    hint: 'See `llmbench teardown --help`.',
  },
  'teardown-timeout': {
    exit: ENV,
    meaning: 'An object still exists when the teardown deadline passed.',
    hint: 'Something holds it (finalizers, a stuck pod, the ACM work agent): inspect it, then run teardown again; it is safe to repeat.',
  },

  'prerequisite-missing': {
    exit: ENV,
    meaning: 'An object the install creates (namespace, ServiceAccount, PVC, SCC binding, secret) is missing.',
    hint: 'Run the install once as the namespace admin (README.md, "Install on a cluster"); the message names the object.',
  },
  'gc-options-invalid': {
    exit: INVALID,
    meaning: 'A flag of `llmbench gc` has a value it does not accept.',
    hint: 'Run `llmbench gc --help`.',
  },

  // steps/wait: `llmbench wait` exits with the diagnosis code (steps/cluster/diagnose.ts, steps/wait/wait.ts)
  'wait-options-invalid': {
    exit: INVALID,
    meaning: 'Invalid `llmbench wait` options.',
    hint: 'See `llmbench wait --help`.',
  },
  'not-applied': {
    exit: ENV,
    meaning: 'Nothing to wait for: the Deployment (or ManifestWork) does not exist.',
    hint: 'Run llmbench apply first (same --backend, --namespace, --acm/--cluster).',
  },
  'scc-denied': {
    exit: ENV,
    meaning: "SCC admission refused the pod (it does not fit the namespace's SecurityContextConstraints).",
    hint: 'Use an image that runs as an arbitrary non-root UID (docker/ images do); only if it must run as root, opt in with --privileged-scc.',
  },
  'replica-failure': {
    exit: ENV,
    meaning: 'The ReplicaSet cannot create pods (quota, LimitRange, admission webhook).',
    hint: 'Raise the quota or lower the requests; the message names what refused the pods.',
  },
  'image-pull': {
    exit: ENV,
    meaning: 'The server image cannot be pulled.',
    hint: 'Check the image name and tag, the pull secret for private registries, and that the registry is reachable from the nodes.',
  },
  'oom-killed': {
    exit: ENV,
    meaning: 'The container exceeded its memory limit while loading the model (OOMKilled).',
    hint: 'Lower max_model_len, quantize, or raise the memory limit.',
  },
  'gpu-out-of-memory': {
    exit: ENV,
    meaning: 'The server crashes because the GPU ran out of memory.',
    hint: 'Lower max_model_len or gpu_memory_utilization (pick the --gpu-profile that matches the GPU/MIG slice), or quantize.',
  },
  'crashloop-scc': {
    exit: ENV,
    meaning: 'The server crashes on a permission error (restricted-v2 runs it as a random non-root UID).',
    hint: 'Keep HOME/HF_HOME on the writable volumes the rendered manifests mount, or use the docker/ images.',
  },
  crashloop: {
    exit: ENV,
    meaning: 'The server exits on start (CrashLoopBackOff).',
    hint: 'Read the log lines in the message: wrong model id, missing HF token for a gated model, unsupported arguments.',
  },
  'gpu-unschedulable': {
    exit: ENV,
    meaning: 'No node has a free GPU of the requested resource.',
    hint: 'Check that the GPU operator advertises it, the MIG strategy (--mig-strategy), taints, and other pods holding the GPUs.',
  },
  unschedulable: {
    exit: ENV,
    meaning: 'The pod cannot be scheduled.',
    hint: 'The scheduler message names the missing resource or the selector no node matches.',
  },
  'progress-deadline': {
    exit: ENV,
    meaning: 'The rollout made no progress within progressDeadlineSeconds.',
    hint: 'Raise --ready-timeout (it sizes progressDeadlineSeconds), or bake the model into the image (llmbench build).',
  },
  'slow-model-download': {
    exit: ENV,
    meaning: 'Not ready at the deadline: the model is still downloading.',
    hint: 'Bake the model into the image (llmbench build, --model-cache image), keep the model cache PVC, or raise --ready-timeout.',
  },
  'not-ready-timeout': {
    exit: ENV,
    meaning: 'The server did not become ready before the deadline.',
    hint: 'The state in the message says where it stopped; raise --ready-timeout if it was still progressing.',
  },
  'acm-apply-failed': {
    exit: ENV,
    meaning: 'The ACM work agent could not apply an object on the managed cluster.',
    hint: 'Fix what the message names there (RBAC, quota, admission); the ManifestWork retries by itself.',
  },
  'acm-not-applied': {
    exit: ENV,
    meaning: 'The ACM work agent has not reported on this ManifestWork generation.',
    hint: 'Check that the managed cluster is available (oc get managedcluster) and its klusterlet runs.',
  },
  'acm-not-ready': {
    exit: ENV,
    meaning: 'Through ACM, the Deployment never reached its ready replica count.',
    hint: "Run `llmbench wait` against the managed cluster's own kubeconfig (without --acm) to diagnose the pods there.",
  },
  'no-endpoint': {
    exit: ENV,
    meaning: 'No endpoint to reach the server at (through ACM without a Route).',
    hint: 'Render with a Route (not --no-route) or pass --endpoint URL.',
  },
  'health-failed': {
    exit: ENV,
    meaning: 'Pods are Ready but the endpoint does not answer its health checks.',
    hint: 'Check the Route host and the server log; raise --ready-timeout if it was still loading.',
  },
  'one-token-failed': {
    exit: ENV,
    meaning: 'Health is OK but a one-token request fails.',
    hint: 'Check the served model name (--served-name) and the server log.',
  },
  cancelled: { exit: ENV, meaning: 'The wait was interrupted by a signal.', hint: 'The wait was interrupted.' },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes declared with exit code E. */
export type ErrorCodeExiting<E extends ExitCodeValue> = {
  [K in ErrorCode]: (typeof ERROR_CODES)[K]['exit'] extends E ? K : never;
}[ErrorCode];

/** Codes an InvalidInputError may carry (exit 2). */
export type InvalidInputCode = ErrorCodeExiting<typeof ExitCode.INVALID_INPUT>;
/** Codes an EnvironmentError (and a readiness diagnosis) may carry (exit 3). */
export type EnvironmentCode = ErrorCodeExiting<typeof ExitCode.ENVIRONMENT>;

export function errorCodeInfo(code: ErrorCode): ErrorCodeInfo {
  return ERROR_CODES[code];
}
