import path from 'node:path';
import { Option } from 'commander';
import type { CommandSpec } from '../core/command.js';
import { ExitCode } from '../core/exit-codes.js';
import { InvalidInputError, type Problem } from '../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../core/atomic.js';
import { RENDER_DEFAULTS } from '../cluster/render.js';
import { BACKENDS, type BackendKind, type GpuVendor } from '../cluster/profiles.js';
import { IMAGE_NAMES, buildPlan, parseRegistry, type ImageName } from './build.js';

export const command: CommandSpec = {
  name: 'build',
  summary: 'Plan and build server and steps images with content-hash tags',
  configure(c) {
    c.requiredOption('--registry <host/path>', 'registry and path prefix, e.g. quay.io/myorg or 127.0.0.1:5000')
      .addOption(
        new Option('--backend <kind>', 'plan just this server image (what the Tekton build Task does)').choices([
          ...BACKENDS,
        ]),
      )
      .option('--images <list>', `comma-separated subset of ${IMAGE_NAMES.join(',')} (default: all)`)
      .addOption(
        new Option('--gpu-vendor <v>', 'server image variant: nvidia, or amd (ROCm base images, -rocm repositories)')
          .choices(['nvidia', 'amd'])
          .default('nvidia'),
      )
      .option('--model <id>', 'Hugging Face model baked into the server images', RENDER_DEFAULTS.model)
      .option('--source <dir>', 'repository checkout holding docker/ (default: current directory)')
      .option(
        '--plan <file>',
        'write the plan as JSON here (with one image also <file minus .json>.{needed,image,dockerfile,context,existing-digest,buildah-args})',
      )
      .option('--plain-http', 'the registry speaks HTTP, not HTTPS (loopback test registries)')
      .option('--offline', 'do not ask the registry: every image is planned as build')
      .option('--json', 'print the plan as JSON on stdout (default: one line per image)');
  },
  helpAfter:
    'Tags are a hash of the Dockerfile, every input file and the build args: an unchanged image keeps its tag and is skipped\nwhen the registry already has it (HEAD /v2/<name>/manifests/<tag>). Registry credentials: REGISTRY_AUTH_FILE.\nThe build itself runs in buildah (Tekton build Task) from the plan; steps/build/README.md documents the format.',
  async run(opts, ctx) {
    const problems: Problem[] = [];
    let names: ImageName[] = [...IMAGE_NAMES];
    if (opts.backend && opts.images)
      problems.push({ path: '--images', message: 'use --backend or --images, not both' });
    if (opts.backend) names = [opts.backend as BackendKind];
    if (typeof opts.images === 'string') {
      names = opts.images
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean) as ImageName[];
      for (const n of names)
        if (!IMAGE_NAMES.includes(n))
          problems.push({ path: '--images', message: `unknown image '${n}' (one of ${IMAGE_NAMES.join(', ')})` });
    }
    if (opts.plan !== undefined && !String(opts.plan).endsWith('.json'))
      problems.push({ path: '--plan', message: 'must end in .json' });
    let registry;
    try {
      registry = parseRegistry(String(opts.registry), opts.plainHttp === true);
    } catch (e) {
      problems.push(...(e as InvalidInputError).problems);
    }
    if (problems.length)
      throw new InvalidInputError('build-options-invalid', `invalid options (${problems.length})`, {
        problems,
        hint: 'See llmbench build --help.',
      });
    const plan = await buildPlan(
      {
        source: path.resolve(ctx.cwd, (opts.source as string | undefined) ?? '.'),
        registry: registry!,
        names,
        vendor: opts.gpuVendor as GpuVendor,
        model: opts.model as string,
        env: ctx.env,
        offline: opts.offline === true,
      },
      ctx.log,
    );
    if (opts.plan) {
      const file = path.resolve(ctx.cwd, opts.plan as string);
      await writeJsonAtomic(file, plan);
      if (plan.images.length === 1) {
        // Plain-text sidecars: a shell step reads them with cat, no JSON parser in the buildah image.
        const base = file.replace(/\.json$/, '');
        const e = plan.images[0];
        await writeFileAtomic(`${base}.needed`, e.action === 'build' ? 'true' : 'false');
        await writeFileAtomic(`${base}.image`, e.image);
        await writeFileAtomic(`${base}.dockerfile`, e.dockerfile);
        await writeFileAtomic(`${base}.context`, e.context);
        await writeFileAtomic(`${base}.existing-digest`, e.existing_digest ?? '');
        // One buildah argument per line (build args and secrets the tag was hashed with): `xargs -d '\n'`.
        await writeFileAtomic(
          `${base}.buildah-args`,
          [
            ...Object.entries(e.build_args).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
            ...e.secrets.flatMap((x) => ['--secret', `id=${x.id},env=${x.env}`]),
          ]
            .map((a) => a + '\n')
            .join(''),
        );
      }
    }
    if (opts.json) ctx.stdout(JSON.stringify(plan, null, 2) + '\n');
    else
      for (const e of plan.images)
        ctx.stdout(`${e.action.padEnd(5)} ${e.image}${e.existing_digest ? `@${e.existing_digest}` : ''}\n`);
    return ExitCode.OK;
  },
};
