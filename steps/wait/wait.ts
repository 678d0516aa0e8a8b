import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { Logger } from '../core/log.js';
import type { DeployReport } from '../core/types/deploy-report.js';
import type { KObject } from '../cluster/objects.js';
import type { KubeClient } from '../cluster/kube.js';
import { diagnose, HINTS, type Diagnosis } from '../cluster/diagnose.js';
import { ROUTE_HOST_FEEDBACK, workName } from '../cluster/acm.js';
import { SERVER_PORTS, serviceUrl, workloadName } from '../cluster/render.js';
import type { BackendKind } from '../cluster/profiles.js';
import { probeOneToken } from '../adapters/index.js';

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

const cond = (o: unknown, type: string) =>
  (((o as any)?.status?.conditions ?? []) as any[]).find((c) => c.type === type);

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

/** vLLM GET /version, TGI GET /info, Triton GET /v2: best effort. */
async function serverVersion(kind: BackendKind, base: string, timeoutMs: number): Promise<string | null> {
  const path = kind === 'vllm' ? '/version' : kind === 'tgi' ? '/info' : '/v2';
  const r = await httpOk(base + path, timeoutMs);
  if (!r.ok || !r.body) return null;
  try {
    const v = JSON.parse(r.body).version;
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
  const clock = new Clock(log);
  const deadline = clock.t0 + o.timeoutS * 1000;
  const name = workloadName(o.backend, o.runId);
  const report: DeployReport = {
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
  const fail = (d: Diagnosis): WaitResult => {
    clock.mark('failed', d.code);
    report.diagnosis = { code: d.code, message: d.message, hint: d.hint };
    report.timings_s!.total = Math.round(clock.elapsed() * 1000) / 1000;
    return { report, diagnosis: d };
  };
  clock.mark(
    'wait-started',
    o.mode === 'acm'
      ? `ManifestWork ${o.cluster}/${workName(o.backend, o.runId)}`
      : `Deployment ${o.namespace}/${name}`,
  );

  let routeHost: string | null = null;
  const stop = () => signal?.aborted === true;

  if (o.mode === 'direct') {
    const pendingSince: Record<string, number> = {};
    for (;;) {
      const dep = await client.get('Deployment', o.namespace, name);
      if (!dep)
        return fail({
          code: 'not-applied',
          terminal: true,
          hint: HINTS.notApplied,
          message: `Deployment ${o.namespace}/${name} does not exist`,
        });
      const container = (dep.spec as any).template.spec.containers[0];
      report.image = container.image ?? null;
      report.engine_args = (container.args ?? []).map(String);
      report.model = o.servedName ?? dep.metadata.annotations?.['llmbench.dev/served-name'] ?? null;
      const gpuProfile = dep.metadata.labels?.['llmbench.dev/gpu-profile'] ?? null;
      const limits = (container.resources?.limits ?? {}) as Record<string, string>;
      const gpuRes = Object.keys(limits).find((k) => /^(nvidia\.com|amd\.com)\//.test(k));
      const pods = await client.list('Pod', o.namespace, { labelSelector: `app.kubernetes.io/instance=${name}` });
      const live = pods.filter((p) => !p.metadata.deletionTimestamp);
      const events = (await client.list('Event', o.namespace)).filter((e) => {
        const n = String((e as any).involvedObject?.name ?? '');
        return n === name || n.startsWith(`${name}-`);
      });
      const now = Date.now();
      const logs: Record<string, string | null> = {};
      for (const p of live) {
        const st = p.status as any;
        const sched = (st?.conditions ?? []).find((c: any) => c.type === 'PodScheduled');
        if (st?.phase === 'Pending' && sched?.status === 'False') pendingSince[p.metadata.name] ??= now;
        else delete pendingSince[p.metadata.name];
        if ((p.spec as any)?.nodeName)
          clock.mark('pod-scheduled', `${p.metadata.name} on ${(p.spec as any).nodeName}`, 'scheduled');
        const cs = (st?.containerStatuses ?? [])[0];
        if (cs?.state?.running) clock.mark('container-started', p.metadata.name, 'container_started');
        if (cs?.ready) clock.mark('pod-ready', p.metadata.name, 'pod_ready');
        const crashed = cs?.state?.waiting?.reason === 'CrashLoopBackOff' || cs?.lastState?.terminated;
        if (crashed || now >= deadline)
          logs[p.metadata.name] = await client.podLog(
            o.namespace,
            p.metadata.name,
            40,
            Boolean(cs?.lastState?.terminated) && !cs?.state?.running,
          );
      }
      for (const e of events) {
        const ev = e as any;
        if (ev.reason === 'Pulled') clock.mark('image-pulled', ev.involvedObject?.name, 'image_pulled');
        if (ev.type === 'Warning') clock.mark(`warning:${ev.reason}`, String(ev.message).slice(0, 200));
      }
      const unschedulableForS = Object.fromEntries(Object.entries(pendingSince).map(([k, v]) => [k, (now - v) / 1000]));
      const d = diagnose({
        deployment: dep,
        pods: live,
        events,
        logs,
        unschedulableForS,
        pendingTimeoutS: o.pendingTimeoutS,
        deadline: now >= deadline,
        timeoutS: o.timeoutS,
      });
      if (d?.terminal) return fail(d);
      const st = dep.status as any;
      const want = Number((dep.spec as any).replicas ?? 1);
      const rolled =
        st &&
        Number(st.observedGeneration ?? 0) >= Number(dep.metadata.generation ?? 1) &&
        Number(st.updatedReplicas ?? 0) >= want &&
        Number(st.readyReplicas ?? 0) >= want &&
        Number(st.availableReplicas ?? 0) >= want;
      if (rolled) {
        clock.mark('rollout-complete', `generation ${dep.metadata.generation}`, 'rollout_complete');
        const pod = live.find((p) => ((p.status as any)?.containerStatuses ?? [])[0]?.ready) ?? live[0];
        const cs = ((pod?.status as any)?.containerStatuses ?? [])[0];
        const imageID = String(cs?.imageID ?? '');
        report.image_digest = /sha256:[0-9a-f]{64}/.exec(imageID)?.[0] ?? null;
        report.node = ((pod?.spec as any)?.nodeName as string | undefined) ?? null;
        report.gpu = {
          product: null,
          count: gpuRes ? Number(limits[gpuRes]) : null,
          memory_mib: null,
          mig: gpuRes?.startsWith('nvidia.com/mig-') ? gpuRes.slice('nvidia.com/mig-'.length) : null,
          profile: gpuProfile,
        };
        if (report.node) {
          // The runner's namespace Role cannot read nodes on a locked-down cluster: the GPU product is then unknown.
          const node = await client.get('Node', undefined, report.node).catch((e) => {
            log.warn('cannot read the node for its GPU labels', { node: report.node, error: (e as Error).message });
            return null;
          });
          const l = node?.metadata.labels ?? {};
          report.gpu.product = l['nvidia.com/gpu.product'] ?? l['amd.com/gpu.product-name'] ?? null;
          report.gpu.memory_mib = l['nvidia.com/gpu.memory'] ? Number(l['nvidia.com/gpu.memory']) : null;
          report.gpu.mig ??= l['nvidia.com/mig.config']?.replace(/^all-/, '') ?? null;
        }
        const route = await client.get('Route', o.namespace, name).catch(() => null);
        routeHost =
          ((route?.status as any)?.ingress?.[0]?.host as string | undefined) ??
          ((route?.spec as any)?.host as string | undefined) ??
          null;
        break;
      }
      if (stop())
        return fail({ code: 'cancelled', terminal: true, hint: 'The wait was interrupted.', message: 'cancelled' });
      await sleep(Math.max(1, Math.min(o.pollMs, deadline - Date.now() + 1)));
    }
  } else {
    const wname = workName(o.backend, o.runId);
    for (;;) {
      const w = await client.get('ManifestWork', o.cluster, wname);
      if (!w) {
        // After a fan-out apply the ManifestWorkReplicaSet controller creates the work a moment later: allow it
        // up to two minutes (within the deadline) to appear before calling it not applied.
        if (Date.now() - clock.t0 >= Math.min(120_000, o.timeoutS * 1000) || stop()) {
          return fail({
            code: 'not-applied',
            terminal: true,
            hint: HINTS.notApplied,
            message: `ManifestWork ${o.cluster}/${wname} does not exist on the hub`,
          });
        }
        clock.mark('work-missing', `${o.cluster}/${wname}`);
        await sleep(Math.max(1, Math.min(o.pollMs, deadline - Date.now() + 1)));
        continue;
      }
      const gen = Number(w.metadata.generation ?? 1);
      const manifests = ((w.spec as any)?.workload?.manifests ?? []) as KObject[];
      const depManifest = manifests.find((m) => m.kind === 'Deployment');
      if (depManifest) {
        const c = (depManifest.spec as any).template.spec.containers[0];
        report.image = c.image ?? null;
        report.engine_args = (c.args ?? []).map(String);
        report.model = o.servedName ?? depManifest.metadata.annotations?.['llmbench.dev/served-name'] ?? null;
        report.gpu = {
          product: null,
          count: null,
          memory_mib: null,
          mig: null,
          profile: depManifest.metadata.labels?.['llmbench.dev/gpu-profile'] ?? null,
        };
      }
      const current = (c: any) => c?.status === 'True' && Number(c.observedGeneration ?? -1) === gen;
      const applied = cond(w, 'Applied');
      const available = cond(w, 'Available');
      if (current(applied)) clock.mark('work-applied', `generation ${gen}`, 'work_applied');
      if (current(available)) clock.mark('work-available', `generation ${gen}`, 'work_available');
      const rs = ((w.status as any)?.resourceStatus?.manifests ?? []) as any[];
      const failed = rs.find((m) =>
        (m.conditions ?? []).some((c: any) => c.type === 'Applied' && c.status === 'False'),
      );
      if (failed) {
        const c = failed.conditions.find((x: any) => x.type === 'Applied');
        return fail({
          code: 'acm-apply-failed',
          terminal: true,
          hint: 'The work agent on the managed cluster could not apply this object (the message says why: RBAC, quota, admission). Fix it there; the ManifestWork retries by itself.',
          message: `${failed.resourceMeta?.kind} ${failed.resourceMeta?.namespace ?? ''}/${failed.resourceMeta?.name}: ${c.message ?? c.reason}`,
        });
      }
      const fb = (kind: string, key: string) => {
        const m = rs.find((x) => x.resourceMeta?.kind === kind);
        const v = (m?.statusFeedback?.values ?? []).find((x: any) => x.name === key)?.fieldValue;
        return v ? (v.integer ?? v.string ?? v.boolean ?? null) : null;
      };
      const ready = fb('Deployment', 'ReadyReplicas');
      const replicas = fb('Deployment', 'Replicas');
      routeHost = (fb('Route', ROUTE_HOST_FEEDBACK) as string | null) ?? routeHost;
      if (ready !== null) clock.mark('feedback', `ReadyReplicas=${ready} Replicas=${replicas}`);
      // Available only says the objects exist on the managed cluster; readiness comes from the feedback.
      if (
        current(applied) &&
        current(available) &&
        ready !== null &&
        Number(ready) >= Math.max(1, Number(replicas ?? 1))
      ) {
        clock.mark('rollout-complete', `ReadyReplicas=${ready}`, 'rollout_complete');
        break;
      }
      if (Date.now() >= deadline) {
        if (!current(applied)) {
          return fail({
            code: 'acm-not-applied',
            terminal: true,
            hint: 'The work agent has not reported on this generation: check that the managed cluster is available (oc get managedcluster) and its klusterlet runs.',
            message: `ManifestWork ${o.cluster}/${wname} not Applied at generation ${gen} after ${o.timeoutS} s`,
          });
        }
        return fail({
          code: 'acm-not-ready',
          terminal: true,
          hint: "Available only means the objects exist on the managed cluster; ReadyReplicas never reached the replica count. Run `llmbench wait` against the managed cluster's own kubeconfig (without --acm) to diagnose the pods there.",
          message: `ManifestWork Applied${current(available) ? ' and Available' : ''} at generation ${gen}, but ReadyReplicas=${ready ?? 'unknown'} of ${replicas ?? 1} after ${o.timeoutS} s`,
        });
      }
      if (stop())
        return fail({ code: 'cancelled', terminal: true, hint: 'The wait was interrupted.', message: 'cancelled' });
      await sleep(Math.max(1, Math.min(o.pollMs, deadline - Date.now() + 1)));
    }
  }

  // The server's own view: health endpoint, then one real token.
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
  const { ready: readyPath } = SERVER_PORTS[o.backend];
  const model = report.model ?? 'mistral';
  const healthUrls = [
    report.endpoint + readyPath,
    ...(o.backend === 'triton' ? [`${report.endpoint}/v2/models/${encodeURIComponent(model)}/ready`] : []),
  ];
  let last = '';
  for (const url of healthUrls) {
    for (;;) {
      const r = await httpOk(url, o.requestTimeoutMs, signal);
      if (r.ok) {
        clock.mark('health-ok', url.slice(report.endpoint.length), 'health_ok');
        break;
      }
      last = r.error ?? `HTTP ${r.status}`;
      clock.mark('health-waiting', `${url.slice(report.endpoint.length)}: ${last}`);
      if (Date.now() >= deadline || stop()) {
        return fail({
          code: 'health-failed',
          terminal: true,
          hint: 'Pods are Ready but the endpoint does not answer health checks (503s: still loading behind the Route, or the Route/Service points elsewhere). Check the Route host and the server log; raise --ready-timeout if it was loading.',
          message: `${url}: ${last}`,
        });
      }
      await sleep(Math.max(1, Math.min(o.pollMs, deadline - Date.now() + 1)));
    }
  }
  for (;;) {
    const s = await probeOneToken({
      kind: o.backend,
      url: report.endpoint,
      model,
      timeoutMs: o.requestTimeoutMs,
      signal,
    });
    if (s.ok) {
      clock.mark('first-token', `${s.output_tokens?.server ?? s.output_tokens?.client ?? '?'} token(s)`, 'first_token');
      break;
    }
    last = `${s.error?.category ?? 'error'}: ${s.error?.message ?? ''}`.slice(0, 300);
    clock.mark('one-token-failed', last);
    if (Date.now() >= deadline || stop()) {
      return fail({
        code: 'one-token-failed',
        terminal: true,
        hint: `Health is OK but a one-token request for model '${model}' fails: check the served model name (--served-name) and the server log.`,
        message: last,
      });
    }
    await sleep(Math.max(1, Math.min(o.pollMs, deadline - Date.now() + 1)));
  }
  report.server_version = await serverVersion(o.backend, report.endpoint, o.requestTimeoutMs);
  report.ready = true;
  report.timings_s!.total = Math.round(clock.elapsed() * 1000) / 1000;
  clock.mark('ready', report.endpoint);
  return { report, diagnosis: null };
}
