import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { EnvironmentError, InvalidInputError, LlmbenchError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { KINDS, objectPath, ref, type KObject } from './objects.js';

export const FIELD_MANAGER = 'llmbench';
const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigSource {
  /** Explicit kubeconfig file (--kubeconfig / cluster.kubeconfig). */
  kubeconfig?: string;
  context?: string;
  env: NodeJS.ProcessEnv;
  /** Service-account directory (tests point it elsewhere). */
  serviceAccountDir?: string;
}

/** Loads one kubeconfig file; `how` names where its path came from (and the problem path on failure). */
function loadFile(kc: KubeConfig, file: string, how: string): string {
  try {
    kc.loadFromFile(file);
  } catch (e) {
    throw new InvalidInputError(
      'kubeconfig-unreadable',
      `cannot load kubeconfig ${file} (${how}): ${(e as Error).message}`,
      {
        problems: [{ path: how, message: (e as Error).message, file }],
        hint: 'Point --kubeconfig (or KUBECONFIG) at a valid kubeconfig file.',
      },
    );
  }
  return `${how} ${file}`;
}

function loadExplicitFile(kc: KubeConfig, file: string): string {
  if (!existsSync(file)) {
    throw new InvalidInputError('kubeconfig-missing', `kubeconfig ${file} does not exist`, {
      problems: [{ path: '--kubeconfig', message: 'file not found', file }],
      hint: 'Check the path given with --kubeconfig or cluster.kubeconfig.',
    });
  }
  return loadFile(kc, file, '--kubeconfig');
}

/** $KUBECONFIG: the first listed file that exists. */
function loadKubeconfigEnv(kc: KubeConfig, envList: string[], raw: string | undefined): string {
  const first = envList.find((f) => existsSync(f));
  if (!first) {
    throw new InvalidInputError('kubeconfig-missing', `KUBECONFIG=${raw} names no existing file`, {
      problems: [{ path: 'KUBECONFIG', message: 'no listed file exists' }],
      hint: 'Fix or unset KUBECONFIG.',
    });
  }
  return loadFile(kc, first, 'KUBECONFIG');
}

/** The pod's mounted service account; the caller has checked that its token and the KUBERNETES_SERVICE_* exist. */
function loadInCluster(kc: KubeConfig, hostEnv: string, port: string, saDir: string): string {
  const host = hostEnv.includes(':') ? `[${hostEnv}]` : hostEnv;
  const ca = path.join(saDir, 'ca.crt');
  kc.loadFromOptions({
    clusters: [
      {
        name: 'in-cluster',
        server: `https://${host}:${port}`,
        caFile: existsSync(ca) ? ca : undefined,
        skipTLSVerify: false,
      },
    ],
    users: [
      { name: 'in-cluster', authProvider: undefined, token: readFileSync(path.join(saDir, 'token'), 'utf8').trim() },
    ],
    contexts: [
      {
        name: 'in-cluster',
        cluster: 'in-cluster',
        user: 'in-cluster',
        namespace: existsSync(path.join(saDir, 'namespace'))
          ? readFileSync(path.join(saDir, 'namespace'), 'utf8').trim()
          : undefined,
      },
    ],
    currentContext: 'in-cluster',
  });
  return 'in-cluster service account';
}

/** Loads the first credential source that exists, in the documented order; returns where it came from. */
function loadCredentials(kc: KubeConfig, src: KubeConfigSource): string {
  const saDir = src.serviceAccountDir ?? SA_DIR;
  const envList = (src.env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean);
  const home = src.env.HOME ?? os.homedir();
  const { KUBERNETES_SERVICE_HOST: svcHost, KUBERNETES_SERVICE_PORT: svcPort } = src.env;
  if (src.kubeconfig) return loadExplicitFile(kc, src.kubeconfig);
  if (envList.length) return loadKubeconfigEnv(kc, envList, src.env.KUBECONFIG);
  if (svcHost && svcPort && existsSync(path.join(saDir, 'token'))) return loadInCluster(kc, svcHost, svcPort, saDir);
  if (existsSync(path.join(home, '.kube', 'config')))
    return loadFile(kc, path.join(home, '.kube', 'config'), '~/.kube/config');
  const partial = svcHost
    ? ` (KUBERNETES_SERVICE_HOST is set but ${path.join(saDir, 'token')} does not exist: not inside a pod with a mounted service account)`
    : '';
  throw new EnvironmentError('no-kube-credentials', `no Kubernetes credentials found${partial}`, {
    hint: 'Pass --kubeconfig FILE, set KUBECONFIG, or run in a pod whose ServiceAccount token is mounted. llmbench never falls back to http://localhost:8080.',
  });
}

function selectContext(kc: KubeConfig, context: string, source: string): void {
  if (!kc.getContexts().some((c) => c.name === context)) {
    throw new InvalidInputError('kube-context-unknown', `context '${context}' is not in ${source}`, {
      problems: [
        {
          path: '--context',
          message: `must be one of ${
            kc
              .getContexts()
              .map((c) => c.name)
              .join(', ') || '(none)'
          }`,
        },
      ],
    });
  }
  kc.setCurrentContext(context);
}

/**
 * Loads credentials without client-node's silent defaults: loadFromDefault() with nothing configured targets
 * http://localhost:8080, and loadFromCluster() outside a pod targets https://undefined:undefined. Order:
 * explicit file, $KUBECONFIG (first existing file), the in-cluster service account (only when its token and the
 * KUBERNETES_SERVICE_* variables exist), ~/.kube/config. Anything else fails with a clear error.
 */
export function loadKubeConfig(src: KubeConfigSource): { kc: KubeConfig; source: string } {
  const kc = new KubeConfig();
  const source = loadCredentials(kc, src);
  if (src.context) selectContext(kc, src.context, source);
  const server = kc.getCurrentCluster()?.server;
  if (!server || /undefined/.test(server) || !/^https?:\/\/[^/]+/.test(server)) {
    throw new EnvironmentError(
      'kube-server-unset',
      `the Kubernetes API server URL from ${source} is '${server ?? ''}'`,
      {
        hint: 'The current context has no usable cluster server; check the kubeconfig (kubectl config view --minify).',
      },
    );
  }
  return { kc, source };
}

export interface RetryOptions {
  attempts: number;
  baseMs: number;
  maxMs: number;
}
export const DEFAULT_RETRY: RetryOptions = { attempts: 6, baseMs: 250, maxMs: 8000 };

interface HttpishError {
  code?: number | string;
  body?: unknown;
  headers?: Record<string, string>;
  message?: string;
  type?: string;
  cause?: { code?: string };
}

export function statusOf(e: unknown): number | undefined {
  const c = (e as HttpishError)?.code;
  return typeof c === 'number' ? c : undefined;
}

/** 429, 5xx and dropped connections are worth retrying; everything else is an answer. */
export function isTransient(e: unknown): boolean {
  const s = statusOf(e);
  if (s !== undefined) return s === 429 || (s >= 500 && s <= 504);
  const err = e as HttpishError;
  const code = typeof err?.code === 'string' ? err.code : err?.cause?.code;
  if (code && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET'].includes(code))
    return true;
  return /socket hang up|ECONNRESET|network timeout|premature close/i.test(err?.message ?? '');
}

/** Runs fn, retrying transient API errors with capped exponential backoff (and Retry-After when the server sends it). */
export async function withRetry<T>(
  what: string,
  fn: () => Promise<T>,
  log: Logger,
  opts: RetryOptions = DEFAULT_RETRY,
  signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isTransient(e) || attempt >= opts.attempts || signal?.aborted) throw e;
      const retryAfter = Number((e as HttpishError).headers?.['retry-after']);
      const backoff = Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1));
      const delay = Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(opts.maxMs, retryAfter * 1000) : backoff;
      log.warn(`${what}: transient API error, retrying`, {
        attempt,
        of: opts.attempts,
        delay_ms: delay,
        error: describe(e),
      });
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }
}

function describe(e: unknown): string {
  const s = statusOf(e);
  let body = (e as HttpishError)?.body;
  // client-node hands some error bodies over as the raw JSON text of the Status.
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* plain text */
    }
  }
  const msg =
    typeof body === 'object' && body && 'message' in body
      ? String((body as { message: unknown }).message)
      : typeof body === 'string'
        ? body.slice(0, 300)
        : (e as Error)?.message;
  return s !== undefined ? `HTTP ${s}: ${msg}` : String(msg);
}

/** Maps an API failure to the error table: exit 3 with a hint saying what to check. */
export function apiError(what: string, e: unknown): LlmbenchError {
  if (e instanceof LlmbenchError) return e;
  const s = statusOf(e);
  const msg = `${what}: ${describe(e)}`;
  if (s === 401)
    return new EnvironmentError('kube-unauthorized', msg, {
      hint: 'The credentials were rejected: refresh the token (oc login) or the ServiceAccount secret.',
      cause: e,
    });
  if (s === 403)
    return new EnvironmentError('kube-forbidden', msg, {
      hint: 'RBAC denies this: bind the llmbench-runner Role (manifests/prerequisites.yaml) to the ServiceAccount running llmbench, or apply prerequisites as a namespace admin.',
      cause: e,
    });
  if (s === 422 || s === 400)
    return new EnvironmentError('kube-rejected', msg, {
      hint: 'The API server rejected the object: check the cluster version and admission policies (the message names the field).',
      cause: e,
    });
  if (s === 404 && /namespaces? "[^"]+" not found/.test(msg)) {
    return new EnvironmentError('namespace-missing', msg, {
      hint: 'The namespace does not exist: apply the prerequisites first (llmbench apply without --no-prerequisites, as a namespace admin) or create it.',
      cause: e,
    });
  }
  if (
    /Unrecognized API version and kind|resource .* not found|the server could not find the requested resource/i.test(
      (e as Error)?.message ?? '',
    ) ||
    s === 404
  ) {
    return new EnvironmentError('kind-not-served', msg, {
      hint: 'The cluster does not serve this kind: use --no-route on plain Kubernetes; ManifestWorks need the ACM/OCM hub.',
      cause: e,
    });
  }
  if (isTransient(e))
    return new EnvironmentError('kube-unavailable', msg, {
      hint: 'The API server kept failing or was unreachable after retries; check connectivity and the API server health.',
      cause: e,
    });
  return new EnvironmentError('kube-error', msg, { cause: e });
}

/** KubernetesObjectApi with its discovery lookup exposed (to check every kind before applying anything). */
class ObjectApi extends KubernetesObjectApi {
  static make(kc: KubeConfig): ObjectApi {
    const c = kc.makeApiClient(ObjectApi);
    c.setDefaultNamespace(kc);
    return c;
  }
  served(apiVersion: string, kind: string) {
    return this.resource(apiVersion, kind);
  }
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/** The few API operations llmbench needs, each retried on transient errors. */
export class KubeClient {
  readonly server: string;
  private readonly objects: ObjectApi;
  private readonly core: CoreV1Api;
  private readonly watcher: Watch;

  constructor(
    readonly kc: KubeConfig,
    private readonly log: Logger,
    private readonly retry: RetryOptions = DEFAULT_RETRY,
    private readonly signal?: AbortSignal,
  ) {
    this.server = kc.getCurrentCluster()!.server;
    this.objects = ObjectApi.make(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.watcher = new Watch(kc);
  }

  private run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withRetry(what, fn, this.log, this.retry, this.signal).catch((e) => {
      throw apiError(what, e);
    });
  }

  /** Whether the API server serves this kind (discovery), so nothing is applied when a later kind would fail. */
  async served(apiVersion: string, kind: string): Promise<boolean> {
    try {
      return (
        (await withRetry(
          `discover ${apiVersion}`,
          () => this.objects.served(apiVersion, kind),
          this.log,
          this.retry,
          this.signal,
        )) !== undefined
      );
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw apiError(`discover ${apiVersion} ${kind}`, e);
    }
  }

  /** Server-side apply with field manager `llmbench`, forcing ownership of the fields we declare. */
  apply(obj: KObject): Promise<KObject> {
    return this.run(
      `apply ${ref(obj)}`,
      () =>
        this.objects.patch(
          obj as KubernetesObject,
          undefined,
          undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        ) as Promise<KObject>,
    );
  }

  /** The object, or null when it does not exist. */
  async get(kind: string, namespace: string | undefined, name: string): Promise<KObject | null> {
    const k = KINDS[kind];
    try {
      return await withRetry(
        `get ${kind}/${name}`,
        () =>
          this.objects.read({
            apiVersion: k.group ? `${k.group}/${k.version}` : k.version,
            kind,
            metadata: { name, namespace },
          }) as Promise<KObject>,
        this.log,
        this.retry,
        this.signal,
      );
    } catch (e) {
      if (statusOf(e) === 404) return null;
      throw apiError(`get ${kind}/${namespace ? namespace + '/' : ''}${name}`, e);
    }
  }

  async list(kind: string, namespace: string | undefined, o: ListOptions = {}): Promise<KObject[]> {
    const k = KINDS[kind];
    const res = await this.run(`list ${kind}`, () =>
      this.objects.list(
        k.group ? `${k.group}/${k.version}` : k.version,
        kind,
        namespace,
        undefined,
        undefined,
        undefined,
        o.fieldSelector,
        o.labelSelector,
      ),
    );
    return res.items as KObject[];
  }

  /** Deletes; false when it was already gone (teardown is safe to run twice). */
  async delete(
    obj: Pick<KObject, 'apiVersion' | 'kind' | 'metadata'>,
    propagationPolicy = 'Foreground',
  ): Promise<boolean> {
    try {
      await withRetry(
        `delete ${ref(obj as KObject)}`,
        () =>
          this.objects.delete(obj as KubernetesObject, undefined, undefined, undefined, undefined, propagationPolicy),
        this.log,
        this.retry,
        this.signal,
      );
      return true;
    } catch (e) {
      if (statusOf(e) === 404) return false;
      throw apiError(`delete ${ref(obj as KObject)}`, e);
    }
  }

  /** Last lines of a container's log (null when unavailable: the diagnosis works without it). */
  async podLog(namespace: string, name: string, tailLines = 40, previous = false): Promise<string | null> {
    try {
      return await this.core.readNamespacedPodLog({ name, namespace, tailLines, previous });
    } catch {
      return null;
    }
  }

  /**
   * Watches one object until `until` returns true for an event, the deadline passes, or the stream ends.
   * Returns true when the predicate matched. Callers poll as well: a watch may drop at any time.
   * `sinceVersion` (the resourceVersion of the caller's last read) makes the API server replay every change after
   * that read, so a deletion between the read and the watch is not missed; without it a watch starts "at most
   * recent" and sees nothing of an object already gone (kubernetes.io/docs/reference/using-api/api-concepts/
   * "Semantics for watch").
   */
  async watchUntil(
    kind: string,
    namespace: string | undefined,
    name: string,
    until: (type: string, obj: KObject) => boolean,
    timeoutMs: number,
    sinceVersion?: string,
  ): Promise<boolean> {
    const ac = new AbortController();
    return new Promise<boolean>((resolve) => {
      let settled = false;
      const finish = (v: boolean) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ac.abort();
        resolve(v);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.watcher
        .watch(
          objectPath(kind, namespace),
          { fieldSelector: `metadata.name=${name}`, ...(sinceVersion ? { resourceVersion: sinceVersion } : {}) },
          (type, obj) => {
            if (until(type, obj as KObject)) finish(true);
          },
          () => finish(false),
        )
        .then((controller) => {
          if (settled) controller.abort();
          else ac.signal.addEventListener('abort', () => controller.abort());
        })
        .catch(() => finish(false));
    });
  }
}
