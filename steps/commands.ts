import type { CommandSpec } from './core/command.js';
import { SERVER_KINDS } from './core/server-catalogue.js';

/**
 * Every command, registered under the word users type (README.md "CLI at a glance": the names are a contract). Modules load lazily: a Tekton
 * step that runs `llmbench analyze` should not pay for the Kubernetes client or Vega (~1 s of start-up).
 * `summary` is repeated here for `llmbench --help`; a test keeps it equal to the command's own.
 */
export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandSpec>;
}

export const COMMAND_ENTRIES: CommandEntry[] = [
  {
    name: 'run',
    summary:
      'Run the whole chain locally (default: simulated vLLM, TGI and Triton) and write results, plots and SUMMARY.md',
    load: async () => (await import('./run/command.js')).command,
  },
  {
    name: 'servers',
    summary: 'List the registered inference servers: names --backend accepts, pinned versions, APIs, ports, images',
    load: async () => (await import('./servers/list-command.js')).command,
  },
  {
    name: 'sim',
    summary: `Run one simulated inference server (${SERVER_KINDS.join(', ')}) on 127.0.0.1`,
    load: async () => (await import('./simulator/command.js')).command,
  },
  {
    name: 'sweep',
    summary: 'Measure one backend over a load sweep; writes samples.ndjson and summary.json',
    load: async () => (await import('./sweep/command.js')).command,
  },
  {
    name: 'analyze',
    summary: 'Aggregate sweep outputs and decide pass / regression / inconclusive against a baseline',
    load: async () => (await import('./analyze/command.js')).command,
  },
  {
    name: 'import',
    summary: "Convert other tools' results (seed, vllm, guidellm, aiperf, genai-perf) into a runs directory",
    load: async () => (await import('./import/command.js')).command,
  },
  {
    name: 'plot',
    summary: 'Render Vega-Lite charts (specs, SVG, PNG) and a self-contained report.html from a work directory',
    load: async () => (await import('./plot/command.js')).command,
  },
  {
    name: 'report',
    summary: 'Write SUMMARY.md and post the sticky PR comment and commit status',
    load: async () => (await import('./report/command.js')).command,
  },
  {
    name: 'render',
    summary: 'Print the Kubernetes objects (or ACM ManifestWorks) that apply would apply',
    load: async () => (await import('./render/command.js')).command,
  },
  {
    name: 'apply',
    summary: 'Server-side apply the rendered objects, or the ManifestWork on the ACM hub',
    load: async () => (await import('./apply/command.js')).command,
  },
  {
    name: 'wait',
    summary: 'Wait until the server is ready and answers a one-token request; diagnose if not',
    load: async () => (await import('./wait/command.js')).command,
  },
  {
    name: 'teardown',
    summary: 'Remove what apply created and wait until it is gone',
    load: async () => (await import('./teardown/command.js')).command,
  },
  {
    name: 'gc',
    summary: 'Tear down servers whose PipelineRun is gone or finished (the janitor after a hard cancel)',
    load: async () => (await import('./teardown/gc-command.js')).command,
  },
  {
    name: 'build',
    summary: 'Plan and build server and steps images with content-hash tags',
    load: async () => (await import('./build/command.js')).command,
  },
];

/** All command specs (tests, the Tekton flag check). */
export async function loadCommands(): Promise<CommandSpec[]> {
  // One at a time: jest's ESM loader fails on concurrent dynamic imports of shared modules.
  const out: CommandSpec[] = [];
  for (const e of COMMAND_ENTRIES) out.push(await e.load());
  return out;
}
