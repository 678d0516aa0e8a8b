/**
 * A fake Kubernetes API server on 127.0.0.1 (port 0) speaking the real REST paths: discovery, server-side
 * apply (application/apply-patch+yaml with fieldManager/force), get/list/watch (?watch=true streams JSON lines),
 * delete (with deletion delays like finalizers), pods and their logs, events, nodes with GPU labels, and
 * ManifestWorks whose status a fake work agent fills in. Every object it receives is validated
 * (./validate.ts); invalid ones get the real 422 Status. A scenario plays the rollout: success or one of the
 * failures `llmbench wait` must diagnose.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import yaml from 'js-yaml';
import { KINDS as LLMBENCH_KINDS, type KindInfo, type KObject } from '../../../steps/cluster/objects.js';
import { validateObject } from './validate.js';
import { admitPod } from './scc.js';

export type Scenario =
  | 'ready'
  | 'crashloop'
  | 'crashloop-scc'
  | 'scc-forbidden'
  | 'oomkilled'
  | 'pending-gpu'
  | 'image-pull'
  | 'progress-deadline'
  | 'slow-download'
  | 'never-applied'
  /** The Deployment controller is down: status stays at the previous generation. */
  | 'controller-down';

export type WorkScenario = 'ready' | 'available-not-ready' | 'applied-false' | 'none';

/** Changes the fake's watch cache keeps (the real one keeps a time window; a count is enough here). */
const HISTORY_EVENTS = 10_000;

export interface FakeKubeOptions {
  scenario?: Scenario;
  workScenario?: WorkScenario;
  /** Milliseconds per scripted step (rollouts run in a few steps). */
  stepMs?: number;
  /** Delay before a deleted object disappears (finalizers, graceful pod termination). */
  deleteDelayMs?: number;
  /** Serve route.openshift.io (OpenShift) — false mimics plain Kubernetes. */
  openshift?: boolean;
  /** Serve work.open-cluster-management.io (an ACM hub). */
  acmHub?: boolean;
  /** Host the Route (and ManifestWork feedback) report, e.g. 127.0.0.1:PORT of a simulator. */
  routeHost?: string;
  /** Require this bearer token. */
  token?: string;
  /** Image digest the running pod reports. */
  imageDigest?: string;
  /** Serve HTTPS with the self-signed certificate in ./tls (as a real API server does). */
  tls?: boolean;
  /** Managed clusters a Placement selects: the ManifestWorkReplicaSet controller creates a ManifestWork in each. */
  placementClusters?: string[];
}

const TLS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tls');
/** The CA (self-signed certificate) clients must trust in TLS mode. */
export const FAKE_CA_PEM = readFileSync(path.join(TLS_DIR, 'cert.pem'), 'utf8');

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
}

interface Watcher {
  kind: string;
  namespace?: string;
  name?: string;
  res: http.ServerResponse;
}

/**
 * Kinds an install applies that llmbench itself never renders (RBAC, Secrets, Tekton, Triggers, PaC, CronJobs):
 * served so the README recipes can run against the fake. Their bodies are not validated here (the Tekton/PaC
 * CRD schemas are checked by test/tekton/validate.test.ts); scope and REST paths are as the real API serves them.
 */
export const INSTALL_KINDS: Record<string, KindInfo> = {
  Secret: { group: '', version: 'v1', resource: 'secrets', namespaced: true },
  ClusterRole: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'clusterroles', namespaced: false },
  ClusterRoleBinding: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterrolebindings',
    namespaced: false,
  },
  CronJob: { group: 'batch', version: 'v1', resource: 'cronjobs', namespaced: true },
  Task: { group: 'tekton.dev', version: 'v1', resource: 'tasks', namespaced: true },
  Pipeline: { group: 'tekton.dev', version: 'v1', resource: 'pipelines', namespaced: true },
  EventListener: { group: 'triggers.tekton.dev', version: 'v1beta1', resource: 'eventlisteners', namespaced: true },
  TriggerBinding: { group: 'triggers.tekton.dev', version: 'v1beta1', resource: 'triggerbindings', namespaced: true },
  TriggerTemplate: { group: 'triggers.tekton.dev', version: 'v1beta1', resource: 'triggertemplates', namespaced: true },
  Repository: { group: 'pipelinesascode.tekton.dev', version: 'v1alpha1', resource: 'repositories', namespaced: true },
  TektonConfig: { group: 'operator.tekton.dev', version: 'v1alpha1', resource: 'tektonconfigs', namespaced: false },
};
const KINDS: Record<string, KindInfo> = { ...LLMBENCH_KINDS, ...INSTALL_KINDS };

/** REST path of an object of any kind the fake serves. */
export function restPath(kind: string, namespace: string | undefined, name?: string): string {
  const k = KINDS[kind];
  if (!k) throw new Error(`the fake API server does not serve kind ${kind}`);
  const base = k.group ? `/apis/${k.group}/${k.version}` : `/api/${k.version}`;
  const ns = k.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : '';
  return `${base}${ns}/${k.resource}${name ? `/${encodeURIComponent(name)}` : ''}`;
}

const GROUP_RESOURCES: Record<string, string[]> = {};
for (const [kind, k] of Object.entries(KINDS)) (GROUP_RESOURCES[`${k.group}/${k.version}`] ??= []).push(kind);

export const GPU_NODE: KObject = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: {
    name: 'gpu-node-1',
    labels: {
      'kubernetes.io/hostname': 'gpu-node-1',
      'nvidia.com/gpu.present': 'true',
      'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-40GB-MIG-3g.20gb',
      'nvidia.com/gpu.memory': '20096',
      'nvidia.com/gpu.count': '2',
      'nvidia.com/mig.strategy': 'single',
      'nvidia.com/mig.config': 'all-3g.20gb',
    },
  },
  status: {
    capacity: { 'nvidia.com/gpu': '2', cpu: '64', memory: '512Gi' },
    allocatable: { 'nvidia.com/gpu': '2', cpu: '63', memory: '500Gi' },
  },
};

const MWRS_LABEL = 'work.open-cluster-management.io/manifestworkreplicaset';

export class FakeKube {
  url = '';
  readonly requests: RecordedRequest[] = [];
  /** Objects the server refused, with the problems found (tests assert this stays empty). */
  readonly rejected: { ref: string; problems: string[] }[] = [];
  private readonly store = new Map<string, KObject>();
  private readonly watchers = new Set<Watcher>();
  /** The last changes, for watches that start from a resourceVersion (the API server's watch cache). */
  private readonly history: { rv: number; type: string; obj: KObject }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sockets = new Set<Socket>();
  private rv = 1;
  private server!: http.Server;
  /** Fail the next N requests matching a method with a status (or reset the connection when status is 0). */
  private faults: { method: string; status: number; left: number }[] = [];
  opts: Required<Omit<FakeKubeOptions, 'token' | 'routeHost' | 'tls'>> &
    Pick<FakeKubeOptions, 'token' | 'routeHost' | 'tls'>;

  constructor(o: FakeKubeOptions = {}) {
    this.opts = {
      scenario: o.scenario ?? 'ready',
      workScenario: o.workScenario ?? 'ready',
      stepMs: o.stepMs ?? 15,
      deleteDelayMs: o.deleteDelayMs ?? 30,
      openshift: o.openshift ?? true,
      acmHub: o.acmHub ?? true,
      routeHost: o.routeHost,
      token: o.token,
      imageDigest: o.imageDigest ?? 'sha256:' + 'ab'.repeat(32),
      tls: o.tls,
      placementClusters: o.placementClusters ?? ['spoke-1', 'spoke-2'],
    };
    this.put(structuredClone(GPU_NODE), false);
  }

  async start(): Promise<this> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = this.opts.tls
      ? https.createServer({ key: readFileSync(path.join(TLS_DIR, 'key.pem')), cert: FAKE_CA_PEM }, handler)
      : http.createServer(handler);
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `${this.opts.tls ? 'https' : 'http'}://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const w of this.watchers) w.res.end();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  failNext(method: string, status: number, count = 1): void {
    this.faults.push({ method, status, left: count });
  }

  /** A kubeconfig (YAML) pointing at this server. */
  kubeconfig(token = this.opts.token ?? 'test-token'): string {
    return yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      // client-node refuses a bearer token over plain HTTP unless TLS verification is explicitly off.
      clusters: [
        {
          name: 'fake',
          cluster: this.opts.tls
            ? { server: this.url, 'certificate-authority-data': Buffer.from(FAKE_CA_PEM).toString('base64') }
            : { server: this.url, 'insecure-skip-tls-verify': true },
        },
      ],
      users: [{ name: 'fake', user: { token } }],
      contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'fake', namespace: 'default' } }],
      'current-context': 'fake',
    });
  }

  get(kind: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.store.get(this.key(kind, namespace, name));
  }

  all(kind?: string): KObject[] {
    return [...this.store.values()].filter((o) => !kind || o.kind === kind);
  }

  private key(kind: string, ns: string | undefined, name: string) {
    return `${kind}/${KINDS[kind]?.namespaced ? (ns ?? '') : ''}/${name}`;
  }

  private later(ms: number, fn: () => void) {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  /** Stores an object (bumping resourceVersion) and notifies watchers. */
  put(obj: KObject, notify = true): KObject {
    const key = this.key(obj.kind, obj.metadata.namespace, obj.metadata.name);
    const existed = this.store.has(key);
    obj.metadata.resourceVersion = String(++this.rv);
    obj.metadata.uid ??= randomUUID();
    obj.metadata.creationTimestamp ??= new Date().toISOString();
    this.store.set(key, obj);
    if (notify) this.emit(existed ? 'MODIFIED' : 'ADDED', obj);
    return obj;
  }

  private remove(obj: KObject) {
    const key = this.key(obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (!this.store.delete(key)) return;
    obj.metadata.resourceVersion = String(++this.rv);
    this.emit('DELETED', obj);
  }

  private emit(type: string, obj: KObject) {
    this.history.push({ rv: Number(obj.metadata.resourceVersion), type, obj: structuredClone(obj) });
    if (this.history.length > HISTORY_EVENTS) this.history.shift();
    for (const w of this.watchers) {
      if (w.kind !== obj.kind) continue;
      if (w.namespace && w.namespace !== obj.metadata.namespace) continue;
      if (w.name && w.name !== obj.metadata.name) continue;
      w.res.write(JSON.stringify({ type, object: obj }) + '\n');
    }
  }

  /**
   * How the API server starts a watch ("Semantics for watch", kubernetes.io/docs/reference/using-api/api-concepts/):
   * no resourceVersion (or "0") — synthetic ADDED for what exists now, then changes; a resourceVersion — every
   * change after it, replayed from the watch cache; one older than the cache holds — an ERROR event carrying a
   * 410 Expired Status ("too old resource version"), then the stream ends. Returns false when it ended the stream.
   */
  private startWatch(w: Watcher, since: string | undefined, items: KObject[]): boolean {
    const line = (type: string, object: unknown) => w.res.write(JSON.stringify({ type, object }) + '\n');
    if (!since || since === '0') {
      for (const o of items) line('ADDED', o);
      return true;
    }
    const rv = Number(since);
    const oldest = this.history[0]?.rv ?? this.rv + 1;
    if (!Number.isInteger(rv) || rv < oldest - 1) {
      const message = `too old resource version: ${since} (${oldest - 1})`;
      line('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason: 'Expired', code: 410 });
      w.res.end();
      return false;
    }
    for (const h of this.history)
      if (h.rv > rv && h.obj.kind === w.kind && (!w.namespace || w.namespace === h.obj.metadata.namespace))
        if (!w.name || w.name === h.obj.metadata.name) line(h.type, h.obj);
    return true;
  }

  event(namespace: string, involved: KObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = new Date().toISOString();
    this.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.metadata.name}.${(++this.rv).toString(16)}`, namespace },
      involvedObject: {
        apiVersion: involved.apiVersion,
        kind: involved.kind,
        name: involved.metadata.name,
        namespace,
        uid: involved.metadata.uid,
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: {
        component:
          reason === 'FailedScheduling'
            ? 'default-scheduler'
            : reason === 'FailedCreate'
              ? 'replicaset-controller'
              : 'kubelet',
      },
    });
  }

  // ---------------------------------------------------------------- HTTP

  private send(res: http.ServerResponse, status: number, body: unknown) {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private status(res: http.ServerResponse, code: number, reason: string, message: string, details?: unknown) {
    this.send(res, code, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
      ...(details ? { details } : {}),
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const u = new URL(req.url ?? '/', 'http://x');
    const query = Object.fromEntries(u.searchParams.entries());
    this.requests.push({
      method: req.method ?? 'GET',
      path: u.pathname,
      query,
      contentType: req.headers['content-type'],
    });
    if (this.opts.token && req.headers.authorization !== `Bearer ${this.opts.token}`) {
      this.status(res, 401, 'Unauthorized', 'Unauthorized');
      return;
    }
    const fault = this.faults.find((f) => f.left > 0 && f.method === req.method);
    if (fault) {
      fault.left--;
      if (fault.status === 0) {
        req.socket.destroy();
        return;
      }
      res.setHeader('retry-after', '0');
      this.status(res, fault.status, fault.status === 429 ? 'TooManyRequests' : 'InternalError', 'injected fault');
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      try {
        this.route(req.method ?? 'GET', u.pathname, query, body, req, res);
      } catch (e) {
        this.status(res, 500, 'InternalError', (e as Error).stack ?? String(e));
      }
    });
  }

  private served(groupVersion: string): boolean {
    if (groupVersion.startsWith('route.openshift.io') || groupVersion.startsWith('security.openshift.io'))
      return this.opts.openshift;
    if (groupVersion.includes('open-cluster-management.io')) return this.opts.acmHub;
    return true;
  }

  private resourceList(groupVersion: string) {
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: groupVersion.startsWith('/') ? groupVersion.slice(1) : groupVersion,
      resources: (GROUP_RESOURCES[groupVersion] ?? []).map((kind) => ({
        name: KINDS[kind].resource,
        singularName: kind.toLowerCase(),
        namespaced: KINDS[kind].namespaced,
        kind,
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      })),
    };
  }

  private route(
    method: string,
    p: string,
    query: Record<string, string>,
    body: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) {
    if (p === '/api')
      return this.send(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (p === '/api/v1') return this.send(res, 200, this.resourceList('/v1'));
    if (p === '/apis') {
      const groups = [
        ...new Set(
          Object.values(KINDS)
            .filter((k) => k.group && this.served(`${k.group}/${k.version}`))
            .map((k) => k.group),
        ),
      ];
      return this.send(res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map((g) => {
          const versions = [
            ...new Set(
              Object.values(KINDS)
                .filter((k) => k.group === g)
                .map((k) => k.version),
            ),
          ].map((v) => ({ groupVersion: `${g}/${v}`, version: v }));
          return { name: g, versions, preferredVersion: versions[0] };
        }),
      });
    }
    const gv = /^\/apis\/([^/]+)\/([^/]+)$/.exec(p);
    if (gv) {
      const key = `${gv[1]}/${gv[2]}`;
      if (!GROUP_RESOURCES[key] || !this.served(key))
        return this.status(res, 404, 'NotFound', 'the server could not find the requested resource');
      return this.send(res, 200, this.resourceList(key));
    }
    const m =
      /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/(log))?$/.exec(p);
    if (!m) return this.status(res, 404, 'NotFound', `no route for ${p}`);
    const group = m[2] ?? '';
    const version = m[1] ?? m[3];
    const [, , , , namespace, resource, nameRaw, sub] = m;
    const name = nameRaw ? decodeURIComponent(nameRaw) : undefined;
    const kind = Object.keys(KINDS).find(
      (k) => KINDS[k].group === group && KINDS[k].version === version && KINDS[k].resource === resource,
    );
    if (!kind || !this.served(`${group}/${version}`))
      return this.status(res, 404, 'NotFound', 'the server could not find the requested resource');

    if (sub === 'log') {
      const pod = this.get('Pod', namespace, name!);
      if (!pod) return this.status(res, 404, 'NotFound', `pods "${name}" not found`);
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(String(pod.metadata.annotations?.['fake.llmbench.dev/log'] ?? ''));
    }

    if (method === 'PATCH') return this.apply(kind, namespace, name!, query, body, req, res);
    if (method === 'DELETE') return this.deleteObject(kind, namespace, name!, query, res);
    if (method !== 'GET') return this.status(res, 405, 'MethodNotAllowed', `${method} is not supported by the fake`);
    if (name) {
      const obj = this.get(kind, namespace, name);
      return obj
        ? this.send(res, 200, obj)
        : this.status(res, 404, 'NotFound', `${resource}.${group || 'core'} "${name}" not found`, {
            name,
            kind: resource,
          });
    }
    const items = this.all(kind).filter(
      (o) => (!namespace || o.metadata.namespace === namespace) && matches(o, query.labelSelector, query.fieldSelector),
    );
    if (query.watch === 'true' || query.watch === '1') {
      const fieldName = /metadata\.name=([^,]+)/.exec(query.fieldSelector ?? '')?.[1];
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      const w: Watcher = { kind, namespace, name: fieldName, res };
      if (!this.startWatch(w, query.resourceVersion, items)) return;
      this.watchers.add(w);
      res.on('close', () => this.watchers.delete(w));
      return;
    }
    return this.send(res, 200, {
      kind: `${kind}List`,
      apiVersion: group ? `${group}/${version}` : version,
      metadata: { resourceVersion: String(this.rv) },
      items,
    });
  }

  private apply(
    kind: string,
    namespace: string | undefined,
    name: string,
    query: Record<string, string>,
    body: string,
    req: http.IncomingMessage,
    res: http.ServerResponse,
  ) {
    if (req.headers['content-type'] !== 'application/apply-patch+yaml') {
      return this.status(
        res,
        415,
        'UnsupportedMediaType',
        `the fake only accepts server-side apply; got ${req.headers['content-type']}`,
      );
    }
    if (!query.fieldManager)
      return this.status(
        res,
        400,
        'BadRequest',
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    let obj: KObject;
    try {
      obj = yaml.load(body) as KObject;
    } catch (e) {
      return this.status(res, 400, 'BadRequest', `error decoding YAML: ${(e as Error).message}`);
    }
    // A namespaced object whose metadata.namespace differs from the URL's is a 400 before any validation:
    // k8s.io/apiserver pkg/endpoints/handlers/rest.go EnsureObjectNamespaceMatchesRequestNamespace.
    if (KINDS[kind]?.namespaced && obj?.metadata?.namespace && obj.metadata.namespace !== namespace) {
      this.rejected.push({ ref: `${kind}/${namespace ?? ''}/${name}`, problems: ['namespace mismatch'] });
      return this.status(
        res,
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const problems = kind in INSTALL_KINDS ? [] : validateObject(obj);
    if (obj?.metadata?.name !== name)
      problems.push(`/metadata/name: '${obj?.metadata?.name}' does not match the URL name '${name}'`);
    if (obj?.kind !== kind) problems.push(`/kind: '${obj?.kind}' does not match the URL resource`);
    if (problems.length) {
      this.rejected.push({ ref: `${kind}/${namespace ?? ''}/${name}`, problems });
      return this.status(res, 422, 'Invalid', `${kind} "${name}" is invalid: ${problems.join('; ')}`, {
        name,
        kind,
        causes: problems.map((m) => ({ message: m })),
      });
    }
    if (KINDS[kind].namespaced && kind !== 'ManifestWork' && !this.get('Namespace', undefined, namespace!)) {
      return this.status(res, 404, 'NotFound', `namespaces "${namespace}" not found`);
    }
    if (kind === 'Pod' && this.opts.openshift) {
      const denied = admitPod(this.all(), namespace!, { name, spec: (obj as any).spec ?? {} });
      if (denied) return this.status(res, 403, 'Forbidden', denied, { name, kind: 'pods' });
    }
    const existing = this.get(kind, namespace, name);
    if (existing?.metadata.deletionTimestamp)
      return this.status(res, 409, 'Conflict', `object is being deleted: ${kind} "${name}" already exists`);
    const managedFields = [
      { manager: query.fieldManager, operation: 'Apply', apiVersion: obj.apiVersion, time: new Date().toISOString() },
    ];
    let stored: KObject;
    if (existing) {
      const { metadata: em, status, ...eRest } = existing as KObject & { status?: unknown };
      const { metadata: am, ...aRest } = obj;
      // A re-apply without spec.host keeps the generated one (the apiserver, not the applier, owns it).
      if (kind === 'Route' && !(aRest as any).spec?.host && (eRest as any).spec?.host)
        (aRest as any).spec = { ...(aRest as any).spec, host: (eRest as any).spec.host };
      const changed = JSON.stringify(eRest) !== JSON.stringify({ ...eRest, ...aRest });
      const generation = Number(em.generation ?? 1) + (changed ? 1 : 0);
      stored = this.put({
        ...eRest,
        ...aRest,
        metadata: { ...em, labels: am.labels, annotations: am.annotations, generation, managedFields },
        ...(status ? { status } : {}),
      } as KObject);
      if (changed) this.onApplied(stored);
    } else {
      if (kind === 'Route') this.defaultRouteHost(obj, namespace!);
      stored = this.put({
        ...obj,
        metadata: {
          ...obj.metadata,
          namespace: KINDS[kind].namespaced ? namespace : undefined,
          generation: 1,
          managedFields,
        },
      });
      this.onApplied(stored);
    }
    this.send(res, existing ? 200 : 201, stored);
  }

  private deleteObject(
    kind: string,
    namespace: string | undefined,
    name: string,
    query: Record<string, string>,
    res: http.ServerResponse,
  ) {
    const obj = this.get(kind, namespace, name);
    if (!obj)
      return this.status(res, 404, 'NotFound', `${KINDS[kind].resource} "${name}" not found`, {
        name,
        kind: KINDS[kind].resource,
      });
    if (!obj.metadata.deletionTimestamp) {
      obj.metadata.deletionTimestamp = new Date().toISOString();
      this.put(obj);
      this.later(this.opts.deleteDelayMs, () => {
        // Garbage collection: a Deployment's pods and a Namespace's contents go with it.
        if (kind === 'Deployment') for (const p of this.podsOf(obj)) this.remove(p);
        if (kind === 'Namespace') for (const o of this.all()) if (o.metadata.namespace === name) this.remove(o);
        if (kind === 'ManifestWorkReplicaSet')
          for (const w of this.all('ManifestWork'))
            if (w.metadata.labels?.[MWRS_LABEL] === `${namespace}.${name}`) this.remove(w);
        this.remove(obj);
      });
    }
    this.send(res, 200, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, kind: KINDS[kind].resource, uid: obj.metadata.uid },
    });
  }

  // ---------------------------------------------------------------- controllers

  private podsOf(dep: KObject): KObject[] {
    const sel = ((dep.spec as any)?.selector?.matchLabels ?? {}) as Record<string, string>;
    return this.all('Pod').filter(
      (p) =>
        p.metadata.namespace === dep.metadata.namespace &&
        Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v),
    );
  }

  private onApplied(obj: KObject) {
    if (obj.kind === 'Deployment') this.rollout(obj);
    if (obj.kind === 'Route') this.admitRoute(obj);
    if (obj.kind === 'ManifestWork') this.workAgent(obj);
    if (obj.kind === 'ManifestWorkReplicaSet') this.replicaSetController(obj);
  }

  /** OCM's ManifestWorkReplicaSet controller: one ManifestWork named like the set in each selected cluster namespace. */
  private replicaSetController(set: KObject) {
    this.later(this.opts.stepMs, () => {
      const s = this.get('ManifestWorkReplicaSet', set.metadata.namespace, set.metadata.name);
      if (!s || s.metadata.deletionTimestamp) return;
      for (const cluster of this.opts.placementClusters) {
        const existing = this.get('ManifestWork', cluster, s.metadata.name);
        const spec = (s.spec as any).manifestWorkTemplate;
        if (existing && JSON.stringify(existing.spec) === JSON.stringify(spec)) continue;
        const work: KObject = {
          apiVersion: 'work.open-cluster-management.io/v1',
          kind: 'ManifestWork',
          metadata: {
            name: s.metadata.name,
            namespace: cluster,
            labels: {
              ...s.metadata.labels,
              [MWRS_LABEL]: `${s.metadata.namespace}.${s.metadata.name}`,
              'work.open-cluster-management.io/placementname': (s.spec as any).placementRefs[0].name,
            },
            generation: Number(existing?.metadata.generation ?? 0) + 1,
          },
          spec: structuredClone(spec),
        };
        const problems = validateObject(work);
        if (problems.length) throw new Error(`fake built an invalid ManifestWork: ${problems.join('; ')}`);
        this.onApplied(this.put(work));
      }
    });
  }

  /**
   * The API server, not the router, fills an empty spec.host on create ("If not specified a route name will typically
   * be automatically chosen", test/fixtures/specs/openshift-route-v1-routes.crd.yaml; openshift-apiserver's route
   * strategy marks it with openshift.io/host.generated). So the host is readable at once, before any admission.
   */
  private defaultRouteHost(route: KObject, namespace: string) {
    const spec = ((route as any).spec ??= {}) as { host?: string };
    if (spec.host) return;
    spec.host = this.routeHostFor(route.metadata.name, namespace);
    route.metadata.annotations = { ...route.metadata.annotations, 'openshift.io/host.generated': 'true' };
  }

  private routeHostFor(name: string, namespace: string): string {
    return this.opts.routeHost ?? `${name}-${namespace}.apps.fake.example.com`;
  }

  private admitRoute(route: KObject) {
    this.later(this.opts.stepMs, () => {
      const r = this.get('Route', route.metadata.namespace, route.metadata.name);
      if (!r) return;
      const host = (r as any).spec?.host ?? this.routeHostFor(r.metadata.name, r.metadata.namespace!);
      (r as any).status = {
        ingress: [{ host, routerName: 'default', conditions: [{ type: 'Admitted', status: 'True' }] }],
      };
      this.put(r);
    });
  }

  private setDeploymentStatus(dep: KObject, s: Record<string, unknown>) {
    const d = this.get('Deployment', dep.metadata.namespace, dep.metadata.name);
    if (!d || d.metadata.deletionTimestamp) return;
    (d as any).status = { observedGeneration: d.metadata.generation, replicas: 1, ...s };
    this.put(d);
  }

  /** The Deployment + ReplicaSet controllers, scheduler and kubelet, compressed into a script per scenario. */
  private rollout(dep: KObject) {
    if (this.opts.scenario === 'controller-down') return;
    const ns = dep.metadata.namespace!;
    const step = this.opts.stepMs;
    const template = (dep.spec as any).template;
    const image = template.spec.containers[0].image as string;
    for (const p of this.podsOf(dep)) this.remove(p);
    const progressing = (status: string, reason: string, message: string) => ({
      type: 'Progressing',
      status,
      reason,
      message,
      lastUpdateTime: new Date().toISOString(),
      lastTransitionTime: new Date().toISOString(),
    });
    this.setDeploymentStatus(dep, {
      updatedReplicas: 1,
      readyReplicas: 0,
      availableReplicas: 0,
      unavailableReplicas: 1,
      conditions: [progressing('True', 'ReplicaSetUpdated', `ReplicaSet "${dep.metadata.name}-7d9f" is progressing.`)],
    });
    const sc = this.opts.scenario;
    if (sc === 'never-applied') return;
    // SCC admission of the pod the ReplicaSet would create (OpenShift only; see ./scc.ts).
    const denied = this.opts.openshift
      ? admitPod(this.all(), ns, { name: `${dep.metadata.name}-7d9f-`, spec: template.spec })
      : null;
    if (sc === 'scc-forbidden' || denied) {
      this.later(step, () => {
        const msg = denied
          ? `Error creating: ${denied}`
          : `Error creating: pods "${dep.metadata.name}-7d9f-" is forbidden: unable to validate against any security context constraint: [provider "anyuid": Forbidden: not usable by user or serviceaccount, spec.containers[0].securityContext.runAsUser: Invalid value: 0: must be in the ranges: [1000680000, 1000689999], provider "privileged": Forbidden: not usable by user or serviceaccount]`;
        this.event(
          ns,
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `${dep.metadata.name}-7d9f` } },
          'Warning',
          'FailedCreate',
          msg,
        );
        this.setDeploymentStatus(dep, {
          updatedReplicas: 0,
          readyReplicas: 0,
          availableReplicas: 0,
          unavailableReplicas: 1,
          conditions: [
            { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: msg },
            progressing('True', 'ReplicaSetUpdated', 'progressing'),
          ],
        });
      });
      return;
    }
    const podName = `${dep.metadata.name}-7d9f-${Math.random().toString(36).slice(2, 7)}`;
    const pod: KObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: podName,
        namespace: ns,
        labels: { ...template.metadata.labels },
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: `${dep.metadata.name}-7d9f`,
            uid: randomUUID(),
            controller: true,
          },
        ],
      },
      spec: structuredClone(template.spec),
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] },
    };
    const problems = validateObject(pod);
    if (problems.length) throw new Error(`fake built an invalid pod: ${problems.join('; ')}`);
    this.put(pod);
    const upd = (status: Record<string, unknown>, log?: string) => {
      const p = this.get('Pod', ns, podName);
      if (!p || p.metadata.deletionTimestamp) return;
      (p as any).status = { ...(p as any).status, ...status };
      if (log !== undefined) p.metadata.annotations = { ...p.metadata.annotations, 'fake.llmbench.dev/log': log };
      this.put(p);
    };
    const cs = (state: Record<string, unknown>, ready: boolean, extra: Record<string, unknown> = {}) => ({
      containerStatuses: [
        {
          name: 'server',
          image,
          imageID: `${image.split(':')[0]}@${this.opts.imageDigest}`,
          ready,
          started: ready,
          restartCount: 0,
          state,
          ...extra,
        },
      ],
    });
    const scheduled = { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], hostIP: '10.0.0.5' };
    const now = () => new Date().toISOString();
    const asPod = this.get('Pod', ns, podName)!;

    if (sc === 'pending-gpu') {
      this.later(step, () => {
        const msg =
          "0/3 nodes are available: 1 Insufficient nvidia.com/gpu, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.";
        upd({
          phase: 'Pending',
          conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: msg }],
        });
        this.event(ns, asPod, 'Warning', 'FailedScheduling', msg);
      });
      return;
    }
    this.later(step, () => {
      (this.get('Pod', ns, podName)!.spec as any).nodeName = 'gpu-node-1';
      upd({ ...scheduled, ...cs({ waiting: { reason: 'ContainerCreating' } }, false) });
      this.event(ns, asPod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${podName} to gpu-node-1`);
      this.event(ns, asPod, 'Normal', 'Pulling', `Pulling image "${image}"`);
    });
    if (sc === 'image-pull') {
      this.later(2 * step, () => {
        upd({
          ...scheduled,
          ...cs({ waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}"` } }, false),
        });
        this.event(
          ns,
          asPod,
          'Warning',
          'Failed',
          `Failed to pull image "${image}": initializing source docker://${image}: reading manifest: manifest unknown`,
        );
        this.event(ns, asPod, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      });
      return;
    }
    this.later(2 * step, () => {
      upd(
        {
          phase: 'Running',
          conditions: [
            { type: 'PodScheduled', status: 'True' },
            { type: 'Ready', status: 'False' },
          ],
          hostIP: '10.0.0.5',
          startTime: now(),
          ...cs({ running: { startedAt: now() } }, false),
        },
        'INFO Starting server\n',
      );
      this.event(ns, asPod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in 41.2s`);
      this.event(ns, asPod, 'Normal', 'Started', 'Started container server');
    });
    const crash = (reason: string, exitCode: number, message: string | undefined, log: string) => {
      this.later(3 * step, () => {
        upd(
          {
            phase: 'Running',
            conditions: [
              { type: 'PodScheduled', status: 'True' },
              { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
            ],
            ...cs(
              {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: `back-off 40s restarting failed container=server pod=${podName}`,
                },
              },
              false,
              {
                restartCount: 3,
                lastState: {
                  terminated: {
                    reason,
                    exitCode,
                    ...(message ? { message } : {}),
                    startedAt: now(),
                    finishedAt: now(),
                  },
                },
              },
            ),
          },
          log,
        );
        this.event(ns, asPod, 'Warning', 'BackOff', 'Back-off restarting failed container server in pod ' + podName);
      });
    };
    if (sc === 'crashloop')
      return crash(
        'Error',
        1,
        undefined,
        'Traceback (most recent call last):\nValueError: unsupported model architecture\n',
      );
    if (sc === 'crashloop-scc') {
      return crash(
        'Error',
        1,
        "PermissionError: [Errno 13] Permission denied: '/root/.cache/huggingface'",
        "INFO Downloading model\nPermissionError: [Errno 13] Permission denied: '/root/.cache/huggingface'\n",
      );
    }
    if (sc === 'oomkilled')
      return crash(
        'OOMKilled',
        137,
        undefined,
        'INFO Loading weights\nINFO Allocating KV cache for max_model_len 8192\n',
      );
    if (sc === 'slow-download' || sc === 'progress-deadline') {
      this.later(3 * step, () => {
        upd(
          {},
          'INFO Downloading model mistralai/Mistral-7B-Instruct-v0.2\nmodel-00001-of-00003.safetensors:  23%|##3       | 1.15G/4.94G [05:12<17:09, 3.68MB/s]\n',
        );
        this.event(
          ns,
          asPod,
          'Warning',
          'Unhealthy',
          'Startup probe failed: Get "http://10.128.2.14:8000/health": dial tcp 10.128.2.14:8000: connect: connection refused',
        );
        if (sc === 'progress-deadline') {
          this.setDeploymentStatus(dep, {
            updatedReplicas: 1,
            readyReplicas: 0,
            availableReplicas: 0,
            unavailableReplicas: 1,
            conditions: [
              progressing(
                'False',
                'ProgressDeadlineExceeded',
                `ReplicaSet "${dep.metadata.name}-7d9f" has timed out progressing.`,
              ),
            ],
          });
        }
      });
      return;
    }
    // ready
    this.later(4 * step, () => {
      upd(
        {
          phase: 'Running',
          conditions: [
            { type: 'PodScheduled', status: 'True' },
            { type: 'Ready', status: 'True' },
          ],
          podIP: '10.128.2.14',
          ...cs({ running: { startedAt: now() } }, true),
        },
        'INFO Application startup complete.\n',
      );
      this.setDeploymentStatus(dep, {
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [
          {
            type: 'Available',
            status: 'True',
            reason: 'MinimumReplicasAvailable',
            message: 'Deployment has minimum availability.',
          },
          progressing(
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${dep.metadata.name}-7d9f" has successfully progressed.`,
          ),
        ],
      });
    });
  }

  /** The hub's view of the work agent on the managed cluster: conditions, resource status and feedback. */
  private workAgent(work: KObject) {
    const sc = this.opts.workScenario;
    if (sc === 'none') return;
    const step = this.opts.stepMs;
    if (!((work.spec as any).workload.manifests as KObject[])?.length) return;
    const { namespace, name } = work.metadata;
    this.later(step, () => this.setWorkStatus(namespace!, name, null, sc === 'applied-false'));
    if (sc === 'applied-false') return;
    this.later(2 * step, () => this.setWorkStatus(namespace!, name, 0));
    if (sc === 'ready') this.later(4 * step, () => this.setWorkStatus(namespace!, name, 1));
  }

  /** Sets a ManifestWork's status at its current generation: ready = fed-back ReadyReplicas (null: no feedback yet). */
  setWorkStatus(namespace: string, name: string, ready: number | null, appliedFalse = false): void {
    const w = this.get('ManifestWork', namespace, name);
    if (!w || w.metadata.deletionTimestamp) return;
    const gen = Number(w.metadata.generation);
    const cond = (type: string, status: string, reason: string) => ({
      type,
      status,
      reason,
      message: `${type} ${status}`,
      observedGeneration: gen,
      lastTransitionTime: new Date().toISOString(),
    });
    const ms = ((w.spec as any).workload.manifests as KObject[]).map((m, ordinal) => {
      const k = KINDS[m.kind];
      const values: unknown[] = [];
      if (m.kind === 'Deployment' && ready !== null) {
        values.push(
          { name: 'ReadyReplicas', fieldValue: { type: 'Integer', integer: ready } },
          { name: 'Replicas', fieldValue: { type: 'Integer', integer: 1 } },
          { name: 'AvailableReplicas', fieldValue: { type: 'Integer', integer: ready } },
        );
      }
      if (m.kind === 'Route' && ready !== null)
        values.push({
          name: 'host',
          fieldValue: {
            type: 'String',
            string: this.opts.routeHost ?? `${m.metadata.name}-${m.metadata.namespace}.apps.spoke.example.com`,
          },
        });
      const failed = appliedFalse && m.kind === 'Deployment';
      return {
        resourceMeta: {
          ordinal,
          group: k.group,
          version: k.version,
          kind: m.kind,
          resource: k.resource,
          name: m.metadata.name,
          ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}),
        },
        conditions: [
          failed
            ? {
                ...cond('Applied', 'False', 'AppliedManifestFailed'),
                message:
                  'Failed to apply manifest: deployments.apps "llmbench-vllm" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=2, limited: requests.nvidia.com/gpu=2',
              }
            : cond('Applied', 'True', 'AppliedManifestComplete'),
          cond('Available', failed ? 'Unknown' : 'True', failed ? 'ResourceNotAvailable' : 'ResourceAvailable'),
        ],
        ...(values.length ? { statusFeedback: { values } } : {}),
      };
    });
    (w as any).status = {
      conditions: [
        cond(
          'Applied',
          appliedFalse ? 'False' : 'True',
          appliedFalse ? 'AppliedManifestWorkFailed' : 'AppliedManifestWorkComplete',
        ),
        cond('Available', 'True', 'ResourcesAvailable'),
      ],
      resourceStatus: { manifests: ms },
    };
    const problems = validateObject(w);
    if (problems.length) throw new Error(`fake built an invalid ManifestWork status: ${problems.join('; ')}`);
    this.put(w);
  }
}

function matches(o: KObject, labelSelector?: string, fieldSelector?: string): boolean {
  for (const term of (labelSelector ?? '').split(',').filter(Boolean)) {
    const [k, v] = term.split('=');
    if (v === undefined ? !(k in (o.metadata.labels ?? {})) : o.metadata.labels?.[k] !== v) return false;
  }
  for (const term of (fieldSelector ?? '').split(',').filter(Boolean)) {
    const [k, v] = term.split('=');
    const val = k.split('.').reduce<unknown>((acc, part) => (acc as Record<string, unknown> | undefined)?.[part], o);
    if (String(val) !== v) return false;
  }
  return true;
}

export async function startFakeKube(o: FakeKubeOptions = {}): Promise<FakeKube> {
  return new FakeKube(o).start();
}
