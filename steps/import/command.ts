import path from 'node:path';
import type { CommandSpec } from '../core/command.js';
import { FlagProblems } from '../core/flags.js';
import { DEFAULT_BACKEND, FORMATS, type Format } from './formats/index.js';
import { importResults } from './import.js';

export const command: CommandSpec = {
  name: 'import',
  summary: "Convert other tools' results (seed, vllm, guidellm, aiperf, genai-perf) into a runs directory",
  configure: (c) =>
    c
      .option('--format <fmt>', FORMATS.join(' | '))
      .option('--out <dir>', 'output runs directory (one <backend>/ per server); existing results are never replaced')
      .option(
        '--backend <id>',
        `backend id to file the results under (default: ${Object.entries(DEFAULT_BACKEND)
          .map(([f, b]) => `${f} → ${b ?? 'the server the file names'}`)
          .join(', ')})`,
      )
      .option(
        '--select <key=value>',
        'import only the records whose run label KEY has VALUE (vLLM: a --metadata item, or label); repeatable, all must match',
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .argument('[files...]'),
  helpAfter:
    'Several files of the same load point become its trials (the same file twice is imported once). Peer tools name a protocol, not a server: say which server you measured with --backend. What a source did not measure (the seed had no TTFT) stays unknown. Reads JSON (guidellm: also YAML; vllm: also --append-result JSON lines); CSV exports are refused. Records whose run labels differ (vLLM --metadata, e.g. framework=vllm vs framework=sgl) are never pooled as trials of one load point: such an import is refused naming the key, its values and their lines; pick one with --select KEY=VALUE.',
  async run(opts, ctx, args) {
    const flags = new FlagProblems(opts);
    if (!FORMATS.includes(opts.format as Format)) flags.add('--format', `must be one of ${FORMATS.join(', ')}`);
    flags.required('--out');
    if (!args.length) flags.add('FILE', 'at least one result file is required');
    flags.throwIfAny(
      'import-flags',
      'invalid import arguments',
      'llmbench import --format vllm result.json --backend vllm --out runs/',
    );
    const res = await importResults({
      format: opts.format as Format,
      files: args.map((f) => path.resolve(ctx.cwd, f)),
      outDir: path.resolve(ctx.cwd, String(opts.out)),
      backend: opts.backend !== undefined ? String(opts.backend) : undefined,
      select: Array.isArray(opts.select) ? opts.select.map(String) : [],
      log: ctx.log,
    });
    ctx.stdout(res.files.map((f) => `${f}\n`).join(''));
    return 0;
  },
};
