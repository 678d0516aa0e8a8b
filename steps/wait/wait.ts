import { setTimeout as sleep } from 'node:timers/promises';
import type {
  CoreV1Event,
  V1Container,
  V1ContainerStatus,
  V1DeploymentSpec,
  V1DeploymentStatus,
  V1PodSpec,
  V1PodStatus,
} from '@kubernetes/client-node';
import { request } from 'undici';
import type { Logger } from '../core/log.js';
import type { DeployReport } from '../core/types/deploy-report.js';
import type { KObject } from '../cluster/objects.js';
import type { KubeClient } from '../cluster/kube.js';
import { diagnose, HINTS, type Diagnosis } from '../cluster/diagnose.js';
import { ROUTE_HOST_FEEDBACK, workName } from '../cluster/acm.js';
import { serviceUrl, workloadName } from '../cluster/render.js';
import type { BackendKind } from '../cluster/profiles.js';
import { probeOneToken } from '../servers/adapters.js';
import { getServer } from '../servers/index.js';

export interface WaitOptions {
  backend: BackendKind;
  namespace: string;
  mode: 'direct' | 'acm';
  cluster?: string;
  timeoutS: number;
  pollMs: number;
  /** GPU Pending longer than this is a failure even before the deadline (another job may free the GPU). */
  pendingTimeoutS: number;
  /** Reach the server here instead of its Route/Service (port-forward, tests). */
  endpoint?: string;
  /** Per-request timeout for health and the one-token probe. */
  requestTimeoutMs: number;
  /** Served model name when the live objects do not say. */
  servedName?: string;
  /** A `progress` event this often while waiting (what it waits on, elapsed, time left); default 15 s. */
  progressIntervalMs?: number;
  /** Run id the server's object names carry (apply --run-id). */
  runId?: string;
}

export interface WaitResult {
  report: DeployReport;
  diagnosis: Diagnosis | null;
}

type Timeline = NonNullable<DeployReport['timeline']>;

/** What happened when: each distinct event once, with seconds since the wait began. */
class Clock {
  readonly t0 = Date.now();
  readonly timeline: Timeline = [];
  readonly timings: Record<string, number> = {};
  private seen = new Set<string>();
  constructor(private readonly log: Logger) {}
  elapsed = () => (Date.now() - this.t0) / 1000;
  mark(event: string, detail?: string, timing?: string): void {
    const key = `${event}|${detail ?? ''}`;
    if (this.seen.has(key)) return;
    // A long wait with many distinct warnings must not grow the report without bound.
    if (this.timeline.length >= 300 && event.startsWith('warning:')) return;
    this.seen.add(key);
    const elapsed_s = Math.round(this.elapsed() * 1000) / 1000;
    this.timeline.push({ at: new Date().toISOString(), elapsed_s, event, ...(detail ? { detail } : {}) });
    if (timing && this.timings[timing] === undefined) this.timings[timing] = elapsed_s;
    this.log.event('wait', { event, elapsed_s, ...(detail ? { detail } : {}) });
  }
}

// The objects arrive as plain JSON from the API (not through client-node's deserializer), so these views only
// name the wire fields read here; every read still tolerates a missing field, as the server may omit any of them.
const deploymentSpec = (d: KObject) => d.spec as V1DeploymentSpec | undefined;
const podSpec = (p: KObject | undefined) => p?.spec as V1PodSpec | undefined;
const firstContainer = (spec: V1DeploymentSpec | undefined): V1Container | undefined =>
  spec?.template?.spec?.containers?.[0];
const containerStatus = (p: KObject | undefined): V1ContainerStatus | undefined =>
  ((p?.status as V1PodStatus | undefined)?.containerStatuses ?? [])[0];
const asEvent = (e: KObject) => e as unknown as CoreV1Event;

/** The fields read from an OpenShift Route (test/fixtures/specs/openshift-route-v1-routes.crd.yaml). */
interface RouteView {
  spec?: { host?: string };
  status?: { ingress?: { host?: string }[] };
}

/** A metav1.Condition as a ManifestWork and each of its manifests report it. */
interface WorkCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  reason?: string;
  message?: string;
}

/** One manifest's status, fed back by the work agent. */
interface ManifestStatus {
  resourceMeta?: { kind?: string; namespace?: string; name?: string };
  conditions?: WorkCondition[];
  statusFeedback?: {
    values?: {
      name: string;
      fieldValue?: { type: string; integer?: number; string?: string; boolean?: boolean; jsonRaw?: string };
    }[];
  };
}

/**
 * The fields read from a ManifestWork (work.open-cluster-management.io/v1), following its CRD in
 * test/fixtures/specs/ocm-work-v1-manifestworks.crd.yaml.
 */
interface ManifestWorkView {
  spec?: { workload?: { manifests?: KObject[] } };
  status?: { conditions?: WorkCondition[]; resourceStatus?: { manifests?: ManifestStatus[] } };
}

type FeedbackValue = number | string | boolean | null;

const cond = (w: ManifestWorkView, type: string) => (w.status?.conditions ?? []).find((c) => c.type === type);

async function httpOk(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<{ ok: boolean; status?: number; body?: string; error?: string }> {
  try {
    const r = await request(url, { method: 'GET', headersTimeout: timeoutMs, bodyTimeout: timeoutMs, signal });
    const body = await r.body.text();
    return { ok: r.statusCode === 200, status: r.statusCode, body };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** The server's version endpoint from the registry (vLLM /version, TGI /info, Triton /v2, …): best effort. */
async function serverVersion(kind: BackendKind, base: string, timeoutMs: number): Promise<string | null> {
  const { path, field } = getServer(kind).endpoints.version;
  const r = await httpOk(base + path, timeoutMs);
  if (!r.ok || !r.body) return null;
  try {
    const v = (JSON.parse(r.body) as Record<string, unknown>)[field];
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}

/**
 * Waits until the server is ready: (direct) rollout complete and pods Ready, or (ACM) the ManifestWork Applied
 * and Available at its current generation with ReadyReplicas fed back; then the server's own health endpoint
 * answers and a one-token request succeeds. Diagnoses failures as they appear (terminal ones end the wait
 * early) and explains a timeout. Never throws for a server that is not ready: the result carries the diagnosis.
 */
export async function waitReady(
  client: KubeClient,
  o: WaitOptions,
  log: Logger,
  signal?: AbortSignal,
): Promise<WaitResult> {
  getServer(o.backend); // an unknown server is bad input, before any work (never another server's paths)
  const clock = new Clock(log);
  // Readiness can take many minutes with nothing new to report: say what it still waits on, and how long is left.
  const beat = setInterval(() => {
    const elapsed = clock.elapsed();
    log.event('progress', {
      step: 'wait',
      backend: o.backend,
      waiting_on: clock.timeline.at(-1)?.event ?? null,
      elapsed_s: Math.round(elapsed),
      remaining_s: Math.max(0, Math.round(o.timeoutS - elapsed)),
    });
  }, o.progressIntervalMs ?? 15_000);
  beat.unref();
  try {
    return await waitUntilReady(newRun(client, o, log, clock, signal));
  } finally {
    clearInterval(beat);
  }
}

/** One wait in progress: what every phase reads and writes, and how it ends in failure. */
interface Run {
  client: KubeClient;
  o: WaitOptions;
  log: Logger;
  clock: Clock;
  report: DeployReport;
  deadline: number;
  signal?: AbortSignal;
  /** The Route's host, once read (direct) or fed back (ACM). */
  routeHost: string | null;
  stop: () => boolean;
  fail: (d: Diagnosis) => WaitResult;
}

const CANCELLED: Diagnosis = {
  code: 'cancelled',
  terminal: true,
  hint: 'The wait was interrupted.',
  message: 'cancelled',
};

/** Sleeps one poll interval, never past the deadline by more than a millisecond. */
const pause = (run: Run) => sleep(Math.max(1, Math.min(run.o.pollMs, run.deadline - Date.now() + 1)));

function newReport(o: WaitOptions, clock: Clock): DeployReport {
  return {
    schema_version: 1,
    backend: o.backend,
    mode: o.mode,
    endpoint: o.endpoint ?? serviceUrl(o),
    model: o.servedName ?? null,
    ready: false,
    namespace: o.namespace,
    cluster: o.cluster ?? null,
    image: null,
    image_digest: null,
    node: null,
    gpu: null,
    server_version: null,
    engine_args: [],
    timeline: clock.timeline,
    timings_s: clock.timings,
    diagnosis: null,
  };
}

function newRun(client: KubeClient, o: WaitOptions, log: Logger, clock: Clock, signal?: AbortSignal): Run {
  const report = newReport(o, clock);
  const fail = (d: Diagnosis): WaitResult => {
    clock.mark('failed', d.code);
    report.diagnosis = { code: d.code, message: d.message, hint: d.hint };
    report.timings_s!.total = Math.round(clock.elapsed() * 1000) / 1000;
    return { report, diagnosis: d };
  };
  const stop = () => signal?.aborted === true;
  return { client, o, log, clock, report, deadline: clock.t0 + o.timeoutS * 1000, signal, routeHost: null, stop, fail };
}

/** The phases in order: rollout (direct) or ManifestWork (ACM), endpoint, health, one token, version. */
async function waitUntilReady(run: Run): Promise<WaitResult> {
  const { o, clock, report } = run;
  clock.mark(
    'wait-started',
    o.mode === 'acm'
      ? `ManifestWork ${o.cluster}/${workName(o.backend, o.runId)}`
      : `Deployment ${o.namespace}/${workloadName(o.backend, o.runId)}`,
  );
  const notRolledOut = o.mode === 'direct' ? await waitRollout(run) : await waitWork(run);
  if (notRolledOut) return notRolledOut;
  // The server's own view: health endpoint, then one real token.
  const noEndpoint = chooseEndpoint(o, report, run.routeHost, run.fail);
  if (noEndpoint) return noEndpoint;
  const model = report.model ?? 'mistral';
  const notServing = (await waitHealthy(run, model)) ?? (await waitOneToken(run, model));
  if (notServing) return notServing;
  report.server_version = await serverVersion(o.backend, report.endpoint, o.requestTimeoutMs);
  report.ready = true;
  report.timings_s!.total = Math.round(clock.elapsed() * 1000) / 1000;
  clock.mark('ready', report.endpoint);
  return { report, diagnosis: null };
}

// ---- direct: the Deployment, its pods and events -------------------------------------------------------------

/** Polls the Deployment until it has rolled out; diagnoses its pods and events on the way. */
async function waitRollout(run: Run): Promise<WaitResult | null> {
  const { client, o } = run;
  const name = workloadName(o.backend, o.runId);
  const pendingSince: Record<string, number> = {};
  for (;;) {
    const dep = await client.get('Deployment', o.namespace, name);
    if (!dep)
      return run.fail({
        code: 'not-applied',
        terminal: true,
        hint: HINTS.notApplied,
        message: `Deployment ${o.namespace}/${name} does not exist`,
      });
    const gpu = recordDeployment(run, dep);
    const { live, events } = await readPodsAndEvents(client, o.namespace, name);
    const now = Date.now();
    const logs = await observePods(run, live, pendingSince, now);
    markEvents(run.clock, events);
    const d = diagnose({
      deployment: dep,
      pods: live,
      events,
      logs,
      unschedulableForS: Object.fromEntries(Object.entries(pendingSince).map(([k, v]) => [k, (now - v) / 1000])),
      pendingTimeoutS: o.pendingTimeoutS,
      deadline: now >= run.deadline,
      timeoutS: o.timeoutS,
    });
    if (d?.terminal) return run.fail(d);
    if (rolledOut(dep)) {
      await recordRollout(run, dep, live, gpu);
      return null;
    }
    if (run.stop()) return run.fail(CANCELLED);
    await pause(run);
  }
}

type Gpu = NonNullable<DeployReport['gpu']>;

/** Image, arguments and served model from the Deployment; the GPU it requests (reported once rolled out). */
function recordDeployment(run: Run, dep: KObject): Gpu {
  const { report, o } = run;
  const container = firstContainer(deploymentSpec(dep));
  report.image = container?.image ?? null;
  report.engine_args = (container?.args ?? []).map(String);
  report.model = o.servedName ?? dep.metadata.annotations?.['llmbench.dev/served-name'] ?? null;
  const gpuProfile = dep.metadata.labels?.['llmbench.dev/gpu-profile'] ?? null;
  const limits = container?.resources?.limits ?? {};
  const gpuRes = Object.keys(limits).find((k) => /^(nvidia\.com|amd\.com)\//.test(k));
  return {
    product: null,
    count: gpuRes ? Number(limits[gpuRes]) : null,
    memory_mib: null,
    mig: gpuRes?.startsWith('nvidia.com/mig-') ? gpuRes.slice('nvidia.com/mig-'.length) : null,
    profile: gpuProfile,
  };
}

/** The workload's pods (not being deleted) and the events about it or its ReplicaSets and pods. */
async function readPodsAndEvents(
  client: KubeClient,
  namespace: string,
  name: string,
): Promise<{ live: KObject[]; events: KObject[] }> {
  const pods = await client.list('Pod', namespace, { labelSelector: `app.kubernetes.io/instance=${name}` });
  const live = pods.filter((p) => !p.metadata.deletionTimestamp);
  const events = (await client.list('Event', namespace)).filter((e) => {
    const n = String(asEvent(e).involvedObject?.name ?? '');
    return n === name || n.startsWith(`${name}-`);
  });
  return { live, events };
}

/** Marks each pod's progress, tracks how long it has been unschedulable, and fetches logs of crashed pods. */
async function observePods(
  run: Run,
  live: KObject[],
  pendingSince: Record<string, number>,
  now: number,
): Promise<Record<string, string | null>> {
  const { clock } = run;
  const logs: Record<string, string | null> = {};
  for (const p of live) {
    const st = p.status as V1PodStatus | undefined;
    const sched = (st?.conditions ?? []).find((c) => c.type === 'PodScheduled');
    if (st?.phase === 'Pending' && sched?.status === 'False') pendingSince[p.metadata.name] ??= now;
    else delete pendingSince[p.metadata.name];
    const nodeName = podSpec(p)?.nodeName;
    if (nodeName) clock.mark('pod-scheduled', `${p.metadata.name} on ${nodeName}`, 'scheduled');
    const cs = containerStatus(p);
    if (cs?.state?.running) clock.mark('container-started', p.metadata.name, 'container_started');
    if (cs?.ready) clock.mark('pod-ready', p.metadata.name, 'pod_ready');
    const crashed = cs?.state?.waiting?.reason === 'CrashLoopBackOff' || cs?.lastState?.terminated;
    if (crashed || now >= run.deadline)
      logs[p.metadata.name] = await run.client.podLog(
        run.o.namespace,
        p.metadata.name,
        40,
        Boolean(cs?.lastState?.terminated) && !cs?.state?.running,
      );
  }
  return logs;
}

function markEvents(clock: Clock, events: KObject[]): void {
  for (const ev of events.map(asEvent)) {
    if (ev.reason === 'Pulled') clock.mark('image-pulled', ev.involvedObject?.name, 'image_pulled');
    if (ev.type === 'Warning') clock.mark(`warning:${ev.reason}`, String(ev.message).slice(0, 200));
  }
}

/** The current generation observed, and every replica updated, ready and available. */
function rolledOut(dep: KObject): boolean {
  const st = dep.status as V1DeploymentStatus | undefined;
  const want = Number(deploymentSpec(dep)?.replicas ?? 1);
  return Boolean(
    st &&
    Number(st.observedGeneration ?? 0) >= Number(dep.metadata.generation ?? 1) &&
    Number(st.updatedReplicas ?? 0) >= want &&
    Number(st.readyReplicas ?? 0) >= want &&
    Number(st.availableReplicas ?? 0) >= want,
  );
}

/** What the rolled-out pod ran on: image digest, node, GPU (from the node's labels) and the Route's host. */
async function recordRollout(run: Run, dep: KObject, live: KObject[], gpu: Gpu): Promise<void> {
  const { client, o, report } = run;
  run.clock.mark('rollout-complete', `generation ${dep.metadata.generation}`, 'rollout_complete');
  const pod = live.find((p) => containerStatus(p)?.ready) ?? live[0];
  const imageID = String(containerStatus(pod)?.imageID ?? '');
  report.image_digest = /sha256:[0-9a-f]{64}/.exec(imageID)?.[0] ?? null;
  report.node = podSpec(pod)?.nodeName ?? null;
  report.gpu = gpu;
  if (report.node) await readNodeGpu(run, report.node, gpu);
  const route = (await client
    .get('Route', o.namespace, workloadName(o.backend, o.runId))
    .catch(() => null)) as RouteView | null;
  run.routeHost = route?.status?.ingress?.[0]?.host ?? route?.spec?.host ?? null;
}

async function readNodeGpu(run: Run, nodeName: string, gpu: Gpu): Promise<void> {
  // The runner's namespace Role cannot read nodes on a locked-down cluster: the GPU product is then unknown.
  const node = await run.client.get('Node', undefined, nodeName).catch((e) => {
    run.log.warn('cannot read the node for its GPU labels', { node: nodeName, error: (e as Error).message });
    return null;
  });
  const l = node?.metadata.labels ?? {};
  gpu.product = l['nvidia.com/gpu.product'] ?? l['amd.com/gpu.product-name'] ?? null;
  gpu.memory_mib = l['nvidia.com/gpu.memory'] ? Number(l['nvidia.com/gpu.memory']) : null;
  gpu.mig ??= l['nvidia.com/mig.config']?.replace(/^all-/, '') ?? null;
}

// ---- ACM: the ManifestWork on the hub ------------------------------------------------------------------------

/** What one read of the ManifestWork says. */
interface WorkState {
  gen: number;
  applied: boolean;
  available: boolean;
  ready: FeedbackValue;
  replicas: FeedbackValue;
}

/** Polls the ManifestWork until it is Applied and Available at its generation with ReadyReplicas fed back. */
async function waitWork(run: Run): Promise<WaitResult | null> {
  const { client, o } = run;
  const wname = workName(o.backend, o.runId);
  for (;;) {
    const w = await client.get('ManifestWork', o.cluster, wname);
    if (!w) {
      // After a fan-out apply the ManifestWorkReplicaSet controller creates the work a moment later: allow it
      // up to two minutes (within the deadline) to appear before calling it not applied.
      if (Date.now() - run.clock.t0 >= Math.min(120_000, o.timeoutS * 1000) || run.stop()) {
        return run.fail({
          code: 'not-applied',
          terminal: true,
          hint: HINTS.notApplied,
          message: `ManifestWork ${o.cluster}/${wname} does not exist on the hub`,
        });
      }
      run.clock.mark('work-missing', `${o.cluster}/${wname}`);
      await pause(run);
      continue;
    }
    const s = readWork(run, w);
    if (!('gen' in s)) return s;
    if (s.applied && s.available && s.ready !== null && Number(s.ready) >= Math.max(1, Number(s.replicas ?? 1))) {
      run.clock.mark('rollout-complete', `ReadyReplicas=${s.ready}`, 'rollout_complete');
      return null;
    }
    if (Date.now() >= run.deadline) return run.fail(workTimeout(o, wname, s));
    if (run.stop()) return run.fail(CANCELLED);
    await pause(run);
  }
}

/** Records the work's Deployment, marks its conditions and feedback; a manifest that failed to apply ends the wait. */
function readWork(run: Run, w: KObject): WorkState | WaitResult {
  const { clock } = run;
  const work = w as ManifestWorkView;
  const gen = Number(w.metadata.generation ?? 1);
  recordWorkDeployment(run, work);
  // Conditions of an earlier generation say nothing about this one.
  const current = (c: WorkCondition | undefined) => c?.status === 'True' && Number(c.observedGeneration ?? -1) === gen;
  const applied = current(cond(work, 'Applied'));
  const available = current(cond(work, 'Available'));
  if (applied) clock.mark('work-applied', `generation ${gen}`, 'work_applied');
  if (available) clock.mark('work-available', `generation ${gen}`, 'work_available');
  const rs = work.status?.resourceStatus?.manifests ?? [];
  const failed = applyFailure(rs);
  if (failed) return run.fail(failed);
  const ready = feedback(rs, 'Deployment', 'ReadyReplicas');
  const replicas = feedback(rs, 'Deployment', 'Replicas');
  const host = feedback(rs, 'Route', ROUTE_HOST_FEEDBACK);
  if (host !== null) run.routeHost = String(host);
  if (ready !== null) clock.mark('feedback', `ReadyReplicas=${ready} Replicas=${replicas}`);
  return { gen, applied, available, ready, replicas };
}

function recordWorkDeployment(run: Run, work: ManifestWorkView): void {
  const { report, o } = run;
  const depManifest = (work.spec?.workload?.manifests ?? []).find((m) => m.kind === 'Deployment');
  if (!depManifest) return;
  const c = firstContainer(deploymentSpec(depManifest));
  report.image = c?.image ?? null;
  report.engine_args = (c?.args ?? []).map(String);
  report.model = o.servedName ?? depManifest.metadata.annotations?.['llmbench.dev/served-name'] ?? null;
  report.gpu = {
    product: null,
    count: null,
    memory_mib: null,
    mig: null,
    profile: depManifest.metadata.labels?.['llmbench.dev/gpu-profile'] ?? null,
  };
}

/** The first manifest the work agent could not apply, as a terminal diagnosis. */
function applyFailure(rs: ManifestStatus[]): Diagnosis | null {
  const failed = rs.find((m) => (m.conditions ?? []).some((c) => c.type === 'Applied' && c.status === 'False'));
  if (!failed) return null;
  const c = (failed.conditions ?? []).find((x) => x.type === 'Applied');
  return {
    code: 'acm-apply-failed',
    terminal: true,
    hint: 'The work agent on the managed cluster could not apply this object (the message says why: RBAC, quota, admission). Fix it there; the ManifestWork retries by itself.',
    message: `${failed.resourceMeta?.kind} ${failed.resourceMeta?.namespace ?? ''}/${failed.resourceMeta?.name}: ${c?.message ?? c?.reason}`,
  };
}

/** A status field fed back for the manifest of this kind (integer, string or boolean), or null. */
function feedback(rs: ManifestStatus[], kind: string, key: string): FeedbackValue {
  const m = rs.find((x) => x.resourceMeta?.kind === kind);
  const v = (m?.statusFeedback?.values ?? []).find((x) => x.name === key)?.fieldValue;
  return v ? (v.integer ?? v.string ?? v.boolean ?? null) : null;
}

/** Why the deadline passed: the agent never applied this generation, or the replicas never became ready. */
function workTimeout(o: WaitOptions, wname: string, s: WorkState): Diagnosis {
  if (!s.applied) {
    return {
      code: 'acm-not-applied',
      terminal: true,
      hint: 'The work agent has not reported on this generation: check that the managed cluster is available (oc get managedcluster) and its klusterlet runs.',
      message: `ManifestWork ${o.cluster}/${wname} not Applied at generation ${s.gen} after ${o.timeoutS} s`,
    };
  }
  return {
    code: 'acm-not-ready',
    terminal: true,
    hint: "Available only means the objects exist on the managed cluster; ReadyReplicas never reached the replica count. Run `llmbench wait` against the managed cluster's own kubeconfig (without --acm) to diagnose the pods there.",
    message: `ManifestWork Applied${s.available ? ' and Available' : ''} at generation ${s.gen}, but ReadyReplicas=${s.ready ?? 'unknown'} of ${s.replicas ?? 1} after ${o.timeoutS} s`,
  };
}

// ---- the server's own view: health endpoint, then one real token ---------------------------------------------

/** --endpoint wins; else the Route's host; else (direct) the Service URL the report started with. */
function chooseEndpoint(
  o: WaitOptions,
  report: DeployReport,
  routeHost: string | null,
  fail: (d: Diagnosis) => WaitResult,
): WaitResult | null {
  if (!o.endpoint) {
    if (routeHost) report.endpoint = `https://${routeHost}`;
    else if (o.mode === 'acm') {
      return fail({
        code: 'no-endpoint',
        terminal: true,
        hint: 'Through ACM the server is reached via its Route: render with a Route (not --no-route) or pass --endpoint URL.',
        message: 'no Route host was fed back',
      });
    }
  }
  report.endpoint = report.endpoint.replace(/\/+$/, '');
  return null;
}

/** Polls the server's ready endpoint (and its model-ready endpoint, where it has one) until each answers 200. */
async function waitHealthy(run: Run, model: string): Promise<WaitResult | null> {
  const { o, report, clock } = run;
  const { endpoints } = getServer(o.backend);
  const healthUrls = [
    report.endpoint + endpoints.ready,
    ...(endpoints.modelReady ? [report.endpoint + endpoints.modelReady(model)] : []),
  ];
  for (const url of healthUrls) {
    for (;;) {
      const r = await httpOk(url, o.requestTimeoutMs, run.signal);
      if (r.ok) {
        clock.mark('health-ok', url.slice(report.endpoint.length), 'health_ok');
        break;
      }
      const last = r.error ?? `HTTP ${r.status}`;
      clock.mark('health-waiting', `${url.slice(report.endpoint.length)}: ${last}`);
      if (Date.now() >= run.deadline || run.stop()) {
        return run.fail({
          code: 'health-failed',
          terminal: true,
          hint: 'Pods are Ready but the endpoint does not answer health checks (503s: still loading behind the Route, or the Route/Service points elsewhere). Check the Route host and the server log; raise --ready-timeout if it was loading.',
          message: `${url}: ${last}`,
        });
      }
      await pause(run);
    }
  }
  return null;
}

/** Retries a one-token request until the server answers it. */
async function waitOneToken(run: Run, model: string): Promise<WaitResult | null> {
  const { o, report, clock } = run;
  for (;;) {
    const s = await probeOneToken({
      kind: o.backend,
      url: report.endpoint,
      model,
      timeoutMs: o.requestTimeoutMs,
      signal: run.signal,
    });
    if (s.ok) {
      clock.mark('first-token', `${s.output_tokens?.server ?? s.output_tokens?.client ?? '?'} token(s)`, 'first_token');
      return null;
    }
    const last = `${s.error?.category ?? 'error'}: ${s.error?.message ?? ''}`.slice(0, 300);
    clock.mark('one-token-failed', last);
    if (Date.now() >= run.deadline || run.stop()) {
      return run.fail({
        code: 'one-token-failed',
        terminal: true,
        hint: `Health is OK but a one-token request for model '${model}' fails: check the served model name (--served-name) and the server log.`,
        message: last,
      });
    }
    await pause(run);
  }
}
