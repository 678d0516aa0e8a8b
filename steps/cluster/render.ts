import { InvalidInputError, type Problem, problemCount } from '../core/errors.js';
import { CONFIG_DEFAULTS } from '../core/config.js';
import { SERVERS, SERVER_NAMES } from '../servers/index.js';
import type { KObject } from './objects.js';
import {
  BACKENDS,
  DEFAULT_IMAGES,
  engineSettings,
  gpuProfile,
  gpuResource,
  type BackendKind,
  type GpuProfile,
  type MigStrategy,
} from './profiles.js';
import { gpuNodeSelector, networkPolicy, scopeLabels, scopedName, type RunScope } from './scope.js';

/** Everything the manifests depend on. One source: render, apply, the checked-in files and the ManifestWorks use it. */
export interface RenderOptions extends RunScope {
  backend: BackendKind;
  gpuProfile: string;
  namespace: string;
  /** Hugging Face model id. */
  model: string;
  /** Name clients ask for (vLLM --served-model-name, Triton model directory). */
  servedName: string;
  /** Server image; default per server and GPU vendor (DEFAULT_IMAGES). */
  image?: string;
  /** Extra server arguments appended after the profile's. */
  engineArgs: string[];
  /** An OpenShift Route (edge TLS) to the server; off by default: the benchmark measures through the Service. */
  route: boolean;
  privilegedScc: boolean;
  migStrategy: MigStrategy;
  /** pvc: Hugging Face cache on a PVC that survives teardown; image: weights baked in (llmbench build), offline. */
  modelCache: 'pvc' | 'image';
  cacheSize: string;
  /** Seconds the startup probe allows for downloading and loading the model. */
  readyTimeoutS: number;
  /** Secret holding HF_TOKEN (key `token`), optional at runtime (public models need none). */
  hfTokenSecret: string;
  /** ServiceAccount the pipeline's llmbench steps run as (gets the namespace Role for apply/wait/teardown). */
  runnerServiceAccount: string;
}

/** What a flag or config field left out becomes; the fields the config has come from its defaults (one source). */
export const RENDER_DEFAULTS: Omit<RenderOptions, 'backend'> = {
  gpuProfile: CONFIG_DEFAULTS.gpu_profile,
  namespace: CONFIG_DEFAULTS.cluster.namespace,
  model: CONFIG_DEFAULTS.model.name,
  servedName: CONFIG_DEFAULTS.model.served_name,
  engineArgs: [],
  route: CONFIG_DEFAULTS.cluster.route,
  clientNamespace: 'llm-bench-ci',
  privilegedScc: CONFIG_DEFAULTS.cluster.privileged_scc,
  migStrategy: 'single',
  modelCache: 'pvc',
  cacheSize: '50Gi',
  readyTimeoutS: CONFIG_DEFAULTS.cluster.ready_timeout_s,
  hfTokenSecret: 'hf-token',
  runnerServiceAccount: 'llmbench-runner',
};

export const SERVER_SA = 'llmbench-server';
export const MANAGED_BY = 'llmbench';
export const KEEP_ANNOTATION = 'llmbench.dev/keep-on-teardown';

/** Container port and health paths per server (from the registry). */
export const SERVER_PORTS = Object.fromEntries(
  SERVER_NAMES.map((n) => [
    n,
    { port: SERVERS[n].container.port, ready: SERVERS[n].endpoints.ready, live: SERVERS[n].endpoints.live },
  ]),
) as Record<BackendKind, { port: number; ready: string; live: string }>;

/** Server object names carry the run id: two runs in one namespace never touch each other's server. */
export const workloadName = (backend: BackendKind, runId?: string) => scopedName(`llmbench-${backend}`, runId);
export const cachePvcName = (backend: BackendKind) => `llmbench-model-cache-${backend}`;

/** Checks options before any work; every problem at once. */
export function checkRenderOptions(o: RenderOptions): { profile: GpuProfile } {
  const problems: Problem[] = [];
  if (!BACKENDS.includes(o.backend))
    problems.push({
      path: '/backend',
      message: `unknown server '${String(o.backend)}': must be one of ${BACKENDS.join(', ')}`,
    });
  let profile: GpuProfile | undefined;
  try {
    profile = gpuProfile(o.gpuProfile);
  } catch (e) {
    problems.push(...(e as InvalidInputError).problems);
  }
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.namespace))
    problems.push({ path: '/cluster/namespace', message: 'must be a DNS-1123 label' });
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(o.servedName))
    problems.push({ path: '/model/served_name', message: 'must be a plain name (letters, digits, . _ -)' });
  if (!o.model.trim()) problems.push({ path: '/model/name', message: 'must not be empty' });
  if (!/^[0-9]+(Mi|Gi|Ti)$/.test(o.cacheSize))
    problems.push({ path: '/cache_size', message: 'must be a quantity like 50Gi' });
  if (o.pipelineRun !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.pipelineRun))
    problems.push({ path: '--pipeline-run', message: 'must be a PipelineRun name of at most 63 characters' });
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(o.clientNamespace))
    problems.push({ path: '--client-namespace', message: 'must be a DNS-1123 label' });
  if (!(o.readyTimeoutS > 0)) problems.push({ path: '/cluster/ready_timeout_s', message: 'must be > 0' });
  if (profile && !o.image && BACKENDS.includes(o.backend) && DEFAULT_IMAGES[o.backend][profile.vendor] === null) {
    problems.push({
      path: '/backends/image',
      message: `no published ${o.backend} image for ${profile.vendor} GPUs; pass --image (e.g. one built by llmbench build)`,
    });
  }
  if (problems.length) {
    throw new InvalidInputError('render-invalid', `cannot render manifests (${problemCount(problems.length)})`, {
      problems,
      hint: 'Fix the listed options; `llmbench render --help` lists them.',
    });
  }
  return { profile: profile! };
}

function labels(o: RenderOptions, component?: BackendKind): Record<string, string> {
  const l: Record<string, string> = {
    'app.kubernetes.io/part-of': 'llmbench',
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
  if (component) {
    l['app.kubernetes.io/name'] = component;
    l['app.kubernetes.io/instance'] = workloadName(component, o.runId);
    l['llmbench.dev/backend'] = component;
    l['llmbench.dev/gpu-profile'] = o.gpuProfile;
    Object.assign(l, scopeLabels(o));
  }
  return l;
}

/** Exactly what apply/wait/teardown touch in the servers' namespace (the runner Role). */
const RUNNER_RULES: Record<string, string[]>[] = [
  {
    apiGroups: [''],
    resources: ['services', 'configmaps', 'persistentvolumeclaims', 'serviceaccounts'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
  { apiGroups: [''], resources: ['pods', 'pods/log', 'events'], verbs: ['get', 'list', 'watch'] },
  {
    apiGroups: ['apps'],
    resources: ['deployments'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get', 'list', 'watch'] },
  {
    apiGroups: ['networking.k8s.io'],
    resources: ['networkpolicies'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
  {
    apiGroups: ['route.openshift.io'],
    resources: ['routes'],
    verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
  },
];

/** Namespace, ServiceAccounts and RBAC shared by the three servers (and the opt-in privileged SCC binding). */
export function renderPrerequisites(o: RenderOptions): KObject[] {
  const ns = o.namespace;
  const out: KObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: ns,
        labels: {
          ...labels(o),
          'pod-security.kubernetes.io/enforce': o.privilegedScc ? 'privileged' : 'restricted',
          'pod-security.kubernetes.io/audit': 'restricted',
        },
      },
    },
    // The servers never call the API: no token mounted.
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: SERVER_SA, namespace: ns, labels: labels(o) },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: o.runnerServiceAccount, namespace: ns, labels: labels(o) },
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'llmbench-runner', namespace: ns, labels: labels(o) },
      rules: RUNNER_RULES,
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'llmbench-runner', namespace: ns, labels: labels(o) },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'llmbench-runner' },
      subjects: [{ kind: 'ServiceAccount', name: o.runnerServiceAccount, namespace: ns }],
    },
  ];
  if (o.privilegedScc) {
    // Documented opt-in only (the seed bound this unconditionally): for images that must run as root.
    out.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: {
        name: 'llmbench-server-privileged-scc',
        namespace: ns,
        labels: labels(o),
        annotations: {
          'llmbench.dev/why':
            'opt-in: --privileged-scc / cluster.privileged_scc; images that cannot run as an arbitrary non-root UID',
        },
      },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:openshift:scc:privileged' },
      subjects: [{ kind: 'ServiceAccount', name: SERVER_SA, namespace: ns }],
    });
  }
  return out;
}

/** The server's arguments for this profile: exactly what ends up in the container spec and in deploy/<backend>.json. */
export function engineArgs(o: RenderOptions, profile: GpuProfile): string[] {
  return SERVERS[o.backend].container.args(o, engineSettings(profile));
}

type Obj = Record<string, unknown>;

/** Volumes, mounts and env every server gets, plus the model cache (PVC or baked in) and the server's config files. */
function storage(
  o: RenderOptions,
  profile: GpuProfile,
  l: Record<string, string>,
): { objects: KObject[]; configMaps: KObject[]; volumes: Obj[]; mounts: Obj[]; env: Obj[] } {
  const server = SERVERS[o.backend];
  const name = workloadName(o.backend, o.runId);
  const ns = o.namespace;
  const objects: KObject[] = [];
  const configMaps: KObject[] = [];
  const volumes: Obj[] = [
    { name: 'tmp', emptyDir: {} },
    // PyTorch shares tensors through /dev/shm; the container default (64 MiB) is too small.
    { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: server.container.shmSize } },
  ];
  const mounts: Obj[] = [
    { name: 'tmp', mountPath: '/tmp' },
    { name: 'shm', mountPath: '/dev/shm' },
  ];
  const env: Obj[] = [
    // Arbitrary UIDs under restricted-v2 have no home directory.
    { name: 'HOME', value: '/tmp' },
    { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: o.hfTokenSecret, key: 'token', optional: true } } },
  ];
  if (o.modelCache === 'pvc') {
    objects.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      // Survives teardown so the next run does not download ~14 GB again.
      metadata: { name: cachePvcName(o.backend), namespace: ns, labels: l, annotations: { [KEEP_ANNOTATION]: 'true' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: o.cacheSize } } },
    });
    volumes.push({ name: 'model-cache', persistentVolumeClaim: { claimName: cachePvcName(o.backend) } });
    mounts.push({ name: 'model-cache', mountPath: '/models-cache' });
    // Explicitly online: an image built by llmbench build sets HF_HUB_OFFLINE=1 in its ENV, and offline mode on
    // an empty cache crashes every server at start.
    env.push({ name: 'HF_HOME', value: '/models-cache/hf' }, { name: 'HF_HUB_OFFLINE', value: '0' });
  } else {
    // Weights baked in by docker/<server>/Dockerfile under /models/hf; never reach the network.
    env.push({ name: 'HF_HOME', value: '/models/hf' }, { name: 'HF_HUB_OFFLINE', value: '1' });
  }
  env.push(...server.container.env);

  const files = server.container.configFiles?.(o, engineSettings(profile));
  if (files) {
    configMaps.push({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: `${name}-model-repository`, namespace: ns, labels: l },
      data: Object.fromEntries(files.files.map((f) => [f.key, f.content])),
    });
    volumes.push({
      name: 'model-repository',
      configMap: {
        name: `${name}-model-repository`,
        items: files.files.map((f) => ({ key: f.key, path: f.path })),
      },
    });
    mounts.push({ name: 'model-repository', mountPath: files.mountPath, readOnly: true });
  }
  return { objects, configMaps, volumes, mounts, env };
}

/** The server container: the registry's image, command, args, ports and health paths; probes sized for loading. */
function serverContainer(o: RenderOptions, profile: GpuProfile, mounts: Obj[], env: Obj[]): Obj {
  const server = SERVERS[o.backend];
  const { port, ready, live } = SERVER_PORTS[o.backend];
  const resource = gpuResource(profile, o.migStrategy);
  const probe = (path: string, period: number, failures: number) => ({
    httpGet: { path, port: 'http' },
    periodSeconds: period,
    timeoutSeconds: 5,
    failureThreshold: failures,
  });
  return {
    name: 'server',
    image: o.image ?? DEFAULT_IMAGES[o.backend][profile.vendor]!,
    imagePullPolicy: 'IfNotPresent',
    ...(server.container.command ? { command: [...server.container.command] } : {}),
    args: engineArgs(o, profile),
    ports: [
      { name: 'http', containerPort: port, protocol: 'TCP' },
      ...server.container.extraPorts.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
    ],
    env,
    resources: {
      requests: { cpu: '4', memory: '16Gi', [resource]: '1' },
      limits: { cpu: '8', memory: '24Gi', [resource]: '1' },
    },
    // Model download + load takes minutes: the startup probe holds liveness off for the whole ready timeout.
    startupProbe: probe(ready, 10, Math.max(1, Math.ceil(o.readyTimeoutS / 10))),
    readinessProbe: probe(ready, 5, 3),
    livenessProbe: probe(live, 10, 6),
    volumeMounts: mounts,
    securityContext: o.privilegedScc
      ? { allowPrivilegeEscalation: false }
      : {
          allowPrivilegeEscalation: false,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
          seccompProfile: { type: 'RuntimeDefault' },
        },
  };
}

function deployment(o: RenderOptions, profile: GpuProfile, l: Record<string, string>, container: Obj, volumes: Obj[]) {
  const name = workloadName(o.backend, o.runId);
  const tolerations =
    profile.vendor === 'nvidia'
      ? [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]
      : [{ key: 'amd.com/gpu', operator: 'Exists', effect: 'NoSchedule' }];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: o.namespace,
      labels: l,
      annotations: {
        'llmbench.dev/model': o.model,
        'llmbench.dev/served-name': o.servedName,
      },
    },
    spec: {
      replicas: 1,
      // One GPU: the old pod must release it before the new one can start.
      strategy: { type: 'Recreate' },
      progressDeadlineSeconds: Math.max(600, o.readyTimeoutS),
      revisionHistoryLimit: 2,
      selector: { matchLabels: { 'app.kubernetes.io/instance': name } },
      template: {
        metadata: { labels: l },
        spec: {
          serviceAccountName: SERVER_SA,
          automountServiceAccountToken: false,
          // The privileged SCC opt-in exists for images that must run as root: ask for uid 0 (without it,
          // admission assigns an arbitrary UID under any SCC and the opt-in would change nothing).
          securityContext: o.privilegedScc
            ? { runAsUser: 0 }
            : { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          terminationGracePeriodSeconds: 30,
          tolerations,
          nodeSelector: gpuNodeSelector(profile, o.migStrategy),
          containers: [container],
          volumes,
        },
      },
    },
  } satisfies KObject;
}

/**
 * Service (every named port of the server), a NetworkPolicy admitting only the benchmark's own pods (TGI and Triton
 * have no auth of their own), and with --route an edge-TLS Route to its http port.
 */
function exposure(o: RenderOptions, l: Record<string, string>): KObject[] {
  const name = workloadName(o.backend, o.runId);
  const ns = o.namespace;
  const selector = { 'app.kubernetes.io/instance': name };
  const out: KObject[] = [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns, labels: l },
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          { name: 'http', port: SERVER_PORTS[o.backend].port, targetPort: 'http', protocol: 'TCP' },
          ...SERVERS[o.backend].container.extraPorts.map((p) => ({
            name: p.name,
            port: p.port,
            targetPort: p.name,
            protocol: 'TCP',
          })),
        ],
      },
    },
  ];
  const ports = [SERVER_PORTS[o.backend].port, ...SERVERS[o.backend].container.extraPorts.map((p) => p.port)];
  out.push(networkPolicy(o, { name, namespace: ns, labels: l }, selector, ports, o.route));
  if (o.route) {
    out.push({
      apiVersion: 'route.openshift.io/v1',
      kind: 'Route',
      // Long generations outlive the router's default 30 s timeout.
      metadata: { name, namespace: ns, labels: l, annotations: { 'haproxy.router.openshift.io/timeout': '600s' } },
      spec: {
        to: { kind: 'Service', name, weight: 100 },
        port: { targetPort: 'http' },
        tls: { termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' },
      },
    });
  }
  return out;
}

/** The server's objects: [ConfigMap (Triton)], [model-cache PVC], Deployment, Service, NetworkPolicy, [Route]. */
export function renderBackend(o: RenderOptions): KObject[] {
  const { profile } = checkRenderOptions(o);
  const l = labels(o, o.backend);
  const st = storage(o, profile, l);
  const container = serverContainer(o, profile, st.mounts, st.env);
  return [...st.configMaps, ...st.objects, deployment(o, profile, l, container, st.volumes), ...exposure(o, l)];
}

/** In-cluster URL of the server (used when there is no Route). */
export const serviceUrl = (o: Pick<RenderOptions, 'backend' | 'namespace' | 'runId'>) =>
  `http://${workloadName(o.backend, o.runId)}.${o.namespace}.svc:${SERVER_PORTS[o.backend].port}`;

export function withDefaults(partial: Partial<RenderOptions> & { backend: BackendKind }): RenderOptions {
  const o = {
    ...RENDER_DEFAULTS,
    ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)),
  } as RenderOptions;
  return o;
}
