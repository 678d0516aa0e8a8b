/**
 * `llmbench servers`: the registered inference servers, as the registry states them — the words `--backend`,
 * `backends[].kind` and the Tekton `backend` param accept, with the pinned release each deploys and simulates.
 */
import type { CommandSpec } from '../core/command.js';
import { ExitCode } from '../core/exit-codes.js';
import { SERVERS, SERVER_NAMES, type ServerName } from './index.js';

export interface ServerRow {
  name: ServerName;
  title: string;
  version: string;
  /** The adapter's APIs, the default first. */
  apis: readonly string[];
  port: number;
  /** The upstream image for NVIDIA GPUs at the pinned release. */
  image: string | null;
  metrics: string;
}

/** One row per registered server, in registry order (pure: the shell prints it). */
export function serverRows(): ServerRow[] {
  return SERVER_NAMES.map((name) => {
    const s = SERVERS[name];
    const metricsPort = s.metrics.port ?? s.container.port;
    return {
      name,
      title: s.title,
      version: s.version,
      apis: s.adapter.apis,
      port: s.container.port,
      image: s.container.images.nvidia,
      metrics: `:${metricsPort}${s.metrics.path}`,
    };
  });
}

/** Fixed-width text columns; values come from the registry, never from input. */
export function formatRows(rows: ServerRow[]): string {
  const table = [
    ['NAME', 'VERSION', 'APIS (default first)', 'PORT', 'METRICS', 'IMAGE (nvidia)'],
    ...rows.map((r) => [r.name, r.version, r.apis.join(','), String(r.port), r.metrics, r.image ?? '-']),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  return (
    table
      .map((row) =>
        row
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export const command: CommandSpec = {
  name: 'servers',
  summary: 'List the registered inference servers: names --backend accepts, pinned versions, APIs, ports, images',
  configure(c) {
    c.option('--json', 'one JSON array instead of the table');
  },
  helpAfter: 'Adding a server is adding a folder steps/servers/<name>/ (steps/servers/index.ts says how).',
  async run(opts, ctx) {
    const rows = serverRows();
    ctx.stdout(opts.json === true ? JSON.stringify(rows, null, 2) + '\n' : formatRows(rows));
    return ExitCode.OK;
  },
};
