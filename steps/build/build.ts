/**
 * Image build plan: content-hash tags (a hash of the Dockerfile, every file in the image's inputs and the build
 * arguments), and which images the registry already has (OCI distribution API: HEAD /v2/<name>/manifests/<tag>).
 * llmbench never runs a build itself: in the cluster, buildah in the Tekton build Task consumes the plan.
 */
import { createHash } from 'node:crypto';
import { promises as fs, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { request } from 'undici';
import { EnvironmentError, InvalidInputError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { DEFAULT_IMAGES, type BackendKind, type GpuVendor } from '../cluster/profiles.js';
import { SERVERS, SERVER_NAMES } from '../servers/index.js';

export type ImageName = 'steps' | BackendKind;
export const IMAGE_NAMES: readonly ImageName[] = ['steps', ...SERVER_NAMES];

export interface ImageSpec {
  name: ImageName;
  /** Repository path under the registry, e.g. llmbench-vllm (llmbench-vllm-rocm for AMD). */
  repository: string;
  dockerfile: string;
  context: string;
  /** Files (relative to the source root; a trailing /** means everything under it) whose content makes the tag. */
  inputs: string[];
  buildArgs: Record<string, string>;
  /** BuildKit/buildah secrets: mounted for one RUN, never stored in a layer. */
  secrets: { id: string; env: string }[];
}

export interface PlanEntry {
  name: ImageName;
  image: string;
  repository: string;
  tag: string;
  /** Full sha256 over the inputs (the tag is its first 20 hex digits). */
  inputs_sha256: string;
  input_files: number;
  dockerfile: string;
  context: string;
  build_args: Record<string, string>;
  secrets: { id: string; env: string }[];
  exists: boolean;
  existing_digest: string | null;
  action: 'build' | 'skip';
  /** The buildah commands the Tekton Task runs for action `build` (argv). */
  commands: string[][];
}

export interface BuildPlan {
  schema_version: 1;
  registry: string;
  gpu_vendor: GpuVendor;
  model: string;
  images: PlanEntry[];
}

export function imageSpecs(o: { model: string; vendor: GpuVendor }): Record<ImageName, ImageSpec> {
  const suffix = o.vendor === 'amd' ? '-rocm' : '';
  const server = (b: BackendKind): ImageSpec => ({
    name: b,
    repository: `llmbench-${b}${suffix}`,
    dockerfile: SERVERS[b].dockerfile,
    context: 'docker',
    inputs: [`docker/${b}/**`, 'docker/common/**'],
    buildArgs: { BASE_IMAGE: DEFAULT_IMAGES[b][o.vendor] ?? '', MODEL_ID: o.model },
    secrets: [{ id: 'hf_token', env: 'HF_TOKEN' }],
  });
  return {
    steps: {
      name: 'steps',
      repository: 'llmbench-steps',
      dockerfile: 'docker/steps/Dockerfile',
      context: '.',
      inputs: [
        'docker/steps/**',
        'package.json',
        'package-lock.json',
        'tsconfig.json',
        'steps/**',
        'schemas/**',
        'results/baselines/**',
      ],
      buildArgs: {},
      secrets: [],
    },
    ...(Object.fromEntries(SERVER_NAMES.map((n) => [n, server(n)])) as Record<BackendKind, ImageSpec>),
  };
}

async function listInputs(root: string, inputs: string[]): Promise<string[]> {
  const out = new Set<string>();
  const walk = async (rel: string) => {
    const abs = path.join(root, rel);
    const st = await fs.stat(abs).catch(() => null);
    if (!st) return;
    if (st.isFile()) {
      // Tests are not in the image (docker/steps/Dockerfile.dockerignore): they do not change its tag.
      if (!rel.endsWith('.test.ts')) out.add(rel.split(path.sep).join('/'));
      return;
    }
    for (const e of await fs.readdir(abs)) await walk(path.join(rel, e));
  };
  for (const i of inputs) await walk(i.replace(/\/\*\*$/, ''));
  return [...out].sort();
}

/** sha256 over (path, content hash) of every input file, the Dockerfile path and the build args. */
export async function contentHash(root: string, spec: ImageSpec): Promise<{ sha256: string; files: number }> {
  const files = await listInputs(root, spec.inputs);
  if (!files.includes(spec.dockerfile)) {
    throw new InvalidInputError('dockerfile-missing', `${spec.dockerfile} is not under ${root}`, {
      problems: [{ path: '--source', message: `no ${spec.dockerfile} here` }],
      hint: 'Run llmbench build from the repository checkout (or pass --source DIR).',
    });
  }
  const h = createHash('sha256');
  h.update(`dockerfile\0${spec.dockerfile}\ncontext\0${spec.context}\n`);
  for (const f of files)
    h.update(
      `${f}\0${createHash('sha256')
        .update(await fs.readFile(path.join(root, f)))
        .digest('hex')}\n`,
    );
  for (const k of Object.keys(spec.buildArgs).sort()) h.update(`arg\0${k}=${spec.buildArgs[k]}\n`);
  return { sha256: h.digest('hex'), files: files.length };
}

// ------------------------------------------------------------------ registry (OCI distribution API)

export interface RegistryRef {
  /** host[:port] */
  host: string;
  /** Path prefix under the host (may be empty), e.g. myorg/llm. */
  prefix: string;
  scheme: 'http' | 'https';
}

export function parseRegistry(s: string, plainHttp: boolean): RegistryRef {
  const m = /^(?:(https?):\/\/)?([a-zA-Z0-9.-]+(?::[0-9]+)?)(\/[a-z0-9._/-]+)?\/?$/.exec(s);
  if (!m) {
    throw new InvalidInputError('registry-invalid', `'${s}' is not a registry (host[:port][/path])`, {
      problems: [{ path: '--registry', message: 'must look like quay.io/myorg or 127.0.0.1:5000' }],
    });
  }
  return {
    host: m[2],
    prefix: (m[3] ?? '').replace(/^\//, ''),
    scheme: (m[1] as 'http' | 'https' | undefined) ?? (plainHttp ? 'http' : 'https'),
  };
}

const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Credentials for a registry host from a containers auth file (REGISTRY_AUTH_FILE, .dockerconfigjson format). */
export function registryCredentials(host: string, env: NodeJS.ProcessEnv): string | null {
  const file = env.REGISTRY_AUTH_FILE ?? (env.DOCKER_CONFIG ? path.join(env.DOCKER_CONFIG, 'config.json') : undefined);
  if (!file || !existsSync(file)) return null;
  try {
    const auths = (JSON.parse(readFileSync(file, 'utf8')).auths ?? {}) as Record<
      string,
      { auth?: string; username?: string; password?: string }
    >;
    const e = auths[host] ?? auths[`https://${host}`] ?? auths[`http://${host}`];
    if (!e) return null;
    return (
      e.auth ?? (e.username !== undefined ? Buffer.from(`${e.username}:${e.password ?? ''}`).toString('base64') : null)
    );
  } catch {
    return null;
  }
}

function challenge(header: string | undefined): { scheme: string; params: Record<string, string> } | null {
  if (!header) return null;
  const [scheme, ...rest] = header.split(' ');
  const params: Record<string, string> = {};
  for (const m of rest.join(' ').matchAll(/(\w+)="([^"]*)"/g)) params[m[1]] = m[2];
  return { scheme: scheme.toLowerCase(), params };
}

/**
 * Whether repository:tag exists: HEAD /v2/<name>/manifests/<tag>. Answers 401 challenges (Basic, or Bearer via
 * the token endpoint) with the auth-file credentials. Returns the digest when it exists, null on 404.
 */
export async function manifestDigest(
  reg: RegistryRef,
  repository: string,
  tag: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 15000,
): Promise<string | null | undefined> {
  const name = reg.prefix ? `${reg.prefix}/${repository}` : repository;
  const url = `${reg.scheme}://${reg.host}/v2/${name}/manifests/${encodeURIComponent(tag)}`;
  const head = (auth?: string) =>
    request(url, {
      method: 'HEAD',
      headers: { accept: MANIFEST_ACCEPT, ...(auth ? { authorization: auth } : {}) },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
  const fail = (msg: string, cause?: unknown) =>
    new EnvironmentError('registry-unavailable', `registry ${reg.host}: ${msg}`, {
      hint: 'Check the registry address (--registry, --plain-http for an HTTP registry), network access and credentials (REGISTRY_AUTH_FILE).',
      cause,
    });
  let r;
  try {
    r = await head();
    if (r.statusCode === 401) {
      await r.body.dump();
      const ch = challenge(r.headers['www-authenticate'] as string | undefined);
      const creds = registryCredentials(reg.host, env);
      if (ch?.scheme === 'basic') {
        if (!creds)
          throw fail(`authentication required for ${name} and no credentials for ${reg.host} in REGISTRY_AUTH_FILE`);
        r = await head(`Basic ${creds}`);
      } else if (ch?.scheme === 'bearer' && ch.params.realm) {
        const t = new URL(ch.params.realm);
        if (ch.params.service) t.searchParams.set('service', ch.params.service);
        t.searchParams.set('scope', ch.params.scope ?? `repository:${name}:pull`);
        const tr = await request(t, {
          headers: creds ? { authorization: `Basic ${creds}` } : {},
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
        const tb = (await tr.body.json().catch(() => ({}))) as { token?: string; access_token?: string };
        const token = tb.token ?? tb.access_token;
        if (tr.statusCode !== 200 || !token) throw fail(`token endpoint ${t.origin} answered ${tr.statusCode}`);
        r = await head(`Bearer ${token}`);
      }
    }
  } catch (e) {
    if (e instanceof EnvironmentError) throw e;
    throw fail((e as Error).message, e);
  }
  await r.body.dump();
  if (r.statusCode === 200) return (r.headers['docker-content-digest'] as string | undefined) ?? undefined;
  if (r.statusCode === 404) return null;
  throw fail(`HEAD ${url} answered HTTP ${r.statusCode}`);
}

export interface PlanOptions {
  source: string;
  registry: RegistryRef;
  names: ImageName[];
  vendor: GpuVendor;
  model: string;
  env: NodeJS.ProcessEnv;
  /** Skip the registry lookup (offline planning): every image is `build`. */
  offline: boolean;
}

export async function buildPlan(o: PlanOptions, log: Logger): Promise<BuildPlan> {
  const specs = imageSpecs({ model: o.model, vendor: o.vendor });
  const images: PlanEntry[] = [];
  for (const n of o.names) {
    const spec = specs[n];
    if (n !== 'steps' && !spec.buildArgs.BASE_IMAGE) {
      throw new InvalidInputError('no-base-image', `no ${n} base image for ${o.vendor} GPUs`, {
        problems: [{ path: '--gpu-vendor', message: `${n} has no published ${o.vendor} image` }],
      });
    }
    const { sha256, files } = await contentHash(o.source, spec);
    const tag = sha256.slice(0, 20);
    const repository = o.registry.prefix ? `${o.registry.prefix}/${spec.repository}` : spec.repository;
    const image = `${o.registry.host}/${repository}:${tag}`;
    const digest = o.offline ? null : await manifestDigest(o.registry, spec.repository, tag, o.env);
    const exists = digest !== null && !o.offline;
    const dockerfile = path.join(o.source, spec.dockerfile);
    const context = path.join(o.source, spec.context);
    const bud = [
      'buildah',
      'bud',
      '--format',
      'oci',
      '-f',
      dockerfile,
      '-t',
      image,
      ...Object.entries(spec.buildArgs).flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]),
      ...spec.secrets.flatMap((s) => ['--secret', `id=${s.id},env=${s.env}`]),
      context,
    ];
    images.push({
      name: n,
      image,
      repository,
      tag,
      inputs_sha256: sha256,
      input_files: files,
      dockerfile,
      context,
      build_args: spec.buildArgs,
      secrets: spec.secrets,
      exists,
      existing_digest: digest ?? null,
      action: exists ? 'skip' : 'build',
      commands: exists ? [] : [bud, ['buildah', 'push', '--digestfile', `${tag}.digest`, image, `docker://${image}`]],
    });
    log.event('image', { name: n, image, action: exists ? 'skip' : 'build', ...(digest ? { digest } : {}) });
  }
  return {
    schema_version: 1,
    registry: `${o.registry.host}${o.registry.prefix ? '/' + o.registry.prefix : ''}`,
    gpu_vendor: o.vendor,
    model: o.model,
    images,
  };
}
