/**
 * Why a server did not come up, from what the API shows: pod status, events, the deployment's conditions and
 * the last log lines. Pure: the wait loop feeds it what it read. Each finding has a stable code and a hint; the
 * seed's troubleshooting guide (CrashLoopBackOff from the SCC, OOMKilled, slow model download, 503s) is the list.
 */
import type {
  CoreV1Event,
  V1ContainerStateTerminated,
  V1ContainerStateWaiting,
  V1ContainerStatus,
  V1DeploymentCondition,
  V1DeploymentStatus,
  V1PodStatus,
} from '@kubernetes/client-node';
import type { KObject } from './objects.js';
import type { EnvironmentCode } from '../core/error-codes.js';

export interface Diagnosis {
  /** Declared in steps/core/error-codes.ts: `llmbench wait` exits 3 with it. */
  code: EnvironmentCode;
  message: string;
  hint: string;
  /** Terminal: waiting longer will not help, fail now. Otherwise it explains a timeout. */
  terminal: boolean;
}

export interface DiagnoseInput {
  deployment: KObject | null;
  pods: KObject[];
  events: KObject[];
  /** Last log lines per pod name (only fetched for pods that crashed, and at the deadline). */
  logs: Record<string, string | null>;
  /** Seconds each pod has been unschedulable (GPU pending turns terminal after pendingTimeoutS). */
  unschedulableForS: Record<string, number>;
  pendingTimeoutS: number;
  /** The deadline passed: explain the state as it is. */
  deadline: boolean;
  timeoutS: number;
}

const SCC_DENIAL = /unable to validate against any security context constraint/i;
const PERMISSION = /permission denied|operation not permitted|EACCES|read-only file system/i;
const GPU_OOM =
  /CUDA out of memory|torch\.OutOfMemoryError|OutOfMemoryError|HIP out of memory|not enough (GPU|KV cache) memory|No available memory for the cache blocks/i;
const DOWNLOAD = /download|fetching \d+ files|\.safetensors.*%|\d+(\.\d+)?%\|/i;

export const HINTS = {
  scc: "The pod does not fit the namespace's SecurityContextConstraints. The rendered manifests run under restricted-v2 (non-root, no privilege escalation); use an image that runs as an arbitrary non-root UID (docker/ images do). Only if the image must run as root, opt in with --privileged-scc (cluster.privileged_scc: true), which binds system:openshift:scc:privileged to the llmbench-server ServiceAccount.",
  crashScc:
    "The container crashed on a permission error: under restricted-v2 it runs as a random non-root UID and cannot write to the image's home or cache. Keep HOME/HF_HOME on the writable volumes the rendered manifests mount, use the docker/ images (group-writable paths), or — opt-in only — --privileged-scc.",
  oom: 'The container ran out of memory while loading the model: lower max_model_len (a smaller-memory --gpu-profile tier, or --engine-arg), quantize (TGI --quantize bitsandbytes-nf4, vLLM --quantization), or raise the memory limit.',
  gpuOom:
    'The GPU ran out of memory: lower max_model_len or gpu_memory_utilization (pick the --gpu-profile that matches the GPU/MIG slice), or quantize (TGI --quantize bitsandbytes-nf4, vLLM --quantization bitsandbytes).',
  crash:
    'The server exits on start: read the log lines above (wrong model id, missing HF token for a gated model, unsupported arguments).',
  imagePull:
    'The image cannot be pulled: check the image name and tag, the pull secret for private registries, and that the registry is reachable from the nodes (llmbench build pushes images with content-hash tags).',
  gpuPending:
    'No node has a free GPU of the requested resource: check that the GPU operator advertises it (kubectl describe node: Allocatable), the MIG strategy (--mig-strategy mixed requests nvidia.com/mig-<slice>, single requests nvidia.com/gpu), taints, and other pods holding the GPUs.',
  unschedulable:
    'The pod cannot be scheduled: the scheduler message names the missing resource or the selector no node matches.',
  progressDeadline:
    'The rollout made no progress within progressDeadlineSeconds. The model download and load must fit the deadline: raise --ready-timeout (it sizes progressDeadlineSeconds and the startup probe), or bake the model into the image (llmbench build, --model-cache image).',
  slowDownload:
    'The model is still downloading. Bake it into the image (llmbench build, --model-cache image), keep the model cache PVC between runs (teardown keeps it), or raise --ready-timeout.',
  notReady:
    'The server did not become ready before the deadline: the state above says where it stopped; raise --ready-timeout if it was still progressing.',
  replicaFailure:
    'The ReplicaSet cannot create pods (the message names it: a ResourceQuota for nvidia.com/gpu or memory, a LimitRange, an admission webhook): raise the quota or lower the requests.',
  notApplied: 'Nothing to wait for: run llmbench apply first (same --backend, --namespace, --acm/--cluster).',
} as const;

// The objects arrive as plain JSON from the API (not through client-node's deserializer), so these views only
// name the wire fields read here; every read still tolerates a missing field, as the server may omit any of them.
const podStatus = (p: KObject) => p.status as V1PodStatus | undefined;
const containerStatuses = (p: KObject): V1ContainerStatus[] => podStatus(p)?.containerStatuses ?? [];
const deploymentConditions = (dep: KObject | null): V1DeploymentCondition[] =>
  (dep?.status as V1DeploymentStatus | undefined)?.conditions ?? [];
const asEvent = (e: KObject) => e as unknown as CoreV1Event;

function lastLines(text: string | null | undefined, n = 6): string {
  if (!text) return '';
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** Pods refused at creation: no pod exists, only a FailedCreate event / ReplicaFailure condition. */
function diagnoseAdmission(events: CoreV1Event[], conds: V1DeploymentCondition[]): Diagnosis | null {
  // SCC admission refused the pod.
  const sccEvent = events.find((e) => SCC_DENIAL.test(String(e.message)));
  const sccCond = conds.find(
    (c) => c.type === 'ReplicaFailure' && c.status === 'True' && SCC_DENIAL.test(String(c.message)),
  );
  if (sccEvent || sccCond) {
    return {
      code: 'scc-denied',
      terminal: true,
      hint: HINTS.scc,
      message: `pod creation forbidden by SCC admission: ${String(sccEvent?.message ?? sccCond?.message).slice(0, 400)}`,
    };
  }

  // Pods refused for another reason (quota, LimitRange, admission webhook): the ReplicaSet cannot create them.
  const replicaFailure = conds.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (replicaFailure) {
    return {
      code: 'replica-failure',
      terminal: true,
      hint: HINTS.replicaFailure,
      message: `pods cannot be created: ${String(replicaFailure.message ?? replicaFailure.reason).slice(0, 400)}`,
    };
  }
  return null;
}

/** A container restarting: GPU OOM and permission errors have their own hints, anything else is a crash. */
function diagnoseCrash(
  name: string,
  c: V1ContainerStatus,
  term: V1ContainerStateTerminated | undefined,
  log: string | null | undefined,
): Diagnosis {
  const text = `${term?.message ?? ''}\n${log ?? ''}`;
  if (GPU_OOM.test(text))
    return {
      code: 'gpu-out-of-memory',
      terminal: true,
      hint: HINTS.gpuOom,
      message: `${name}: CrashLoopBackOff, GPU out of memory:\n${lastLines(text)}`,
    };
  if (PERMISSION.test(text))
    return {
      code: 'crashloop-scc',
      terminal: true,
      hint: HINTS.crashScc,
      message: `${name}: CrashLoopBackOff on a permission error (SCC restricted-v2, random UID): ${lastLines(term?.message || log, 3)}`,
    };
  return {
    code: 'crashloop',
    terminal: true,
    hint: HINTS.crash,
    message: `${name}: CrashLoopBackOff (exit ${term?.exitCode ?? '?'}, ${c.restartCount ?? 0} restarts)${text.trim() ? `:\n${lastLines(text)}` : ''}`,
  };
}

function diagnoseImagePull(
  name: string,
  c: V1ContainerStatus,
  waiting: V1ContainerStateWaiting,
  events: CoreV1Event[],
): Diagnosis {
  const ev = events.find((e) => e.involvedObject?.name === name && /Failed to pull image/.test(String(e.message)));
  return {
    code: 'image-pull',
    terminal: true,
    hint: HINTS.imagePull,
    message: `${name}: ${waiting.reason} for ${c.image}${ev ? `: ${ev.message}` : waiting.message ? `: ${waiting.message}` : ''}`,
  };
}

/** One container of a pod: image pull failure, OOM kill, crash loop — or null while none of those shows. */
function diagnoseContainer(
  name: string,
  c: V1ContainerStatus,
  events: CoreV1Event[],
  log: string | null | undefined,
): Diagnosis | null {
  const waiting = c.state?.waiting;
  const term = c.lastState?.terminated ?? c.state?.terminated;
  if (waiting && /ImagePullBackOff|ErrImagePull|InvalidImageName|ErrImageNeverPull/.test(String(waiting.reason))) {
    return diagnoseImagePull(name, c, waiting, events);
  }
  if (term?.reason === 'OOMKilled') {
    return {
      code: 'oom-killed',
      terminal: true,
      hint: HINTS.oom,
      message: `${name}: container killed for exceeding its memory limit (OOMKilled, exit ${term.exitCode}, ${c.restartCount ?? 0} restarts)${log ? `\n${lastLines(log)}` : ''}`,
    };
  }
  const crashing = waiting?.reason === 'CrashLoopBackOff' || (term && (c.restartCount ?? 0) >= 2);
  return crashing ? diagnoseCrash(name, c, term, log) : null;
}

/** A pod the scheduler cannot place: terminal once it has waited pendingTimeoutS, or at the deadline. */
function diagnoseScheduling(p: KObject, events: CoreV1Event[], i: DiagnoseInput): Diagnosis | null {
  const name = p.metadata.name;
  const status = podStatus(p);
  const sched = (status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
  if (!(status?.phase === 'Pending' && sched?.status === 'False' && sched.reason === 'Unschedulable')) return null;
  const ev = events.find((e) => e.involvedObject?.name === name && e.reason === 'FailedScheduling');
  const msg = String(ev?.message ?? sched.message ?? '');
  const gpu = /Insufficient (nvidia\.com\/[\w.-]+|amd\.com\/gpu)/.exec(msg);
  const waited = i.unschedulableForS[name] ?? 0;
  if (waited < i.pendingTimeoutS && !i.deadline) return null;
  return gpu
    ? {
        code: 'gpu-unschedulable',
        terminal: true,
        hint: HINTS.gpuPending,
        message: `${name}: Pending for ${Math.round(waited)} s, no node with a free ${gpu[1]}: ${msg}`,
      }
    : {
        code: 'unschedulable',
        terminal: true,
        hint: HINTS.unschedulable,
        message: `${name}: Pending for ${Math.round(waited)} s: ${msg}`,
      };
}

function diagnosePods(events: CoreV1Event[], i: DiagnoseInput): Diagnosis | null {
  for (const p of i.pods) {
    const name = p.metadata.name;
    for (const c of containerStatuses(p)) {
      const d = diagnoseContainer(name, c, events, i.logs[name]);
      if (d) return d;
    }
    const d = diagnoseScheduling(p, events, i);
    if (d) return d;
  }
  return null;
}

function diagnoseProgress(dep: KObject, conds: V1DeploymentCondition[], logs: DiagnoseInput['logs']): Diagnosis | null {
  const prog = conds.find((c) => c.type === 'Progressing');
  if (!(prog?.status === 'False' && prog.reason === 'ProgressDeadlineExceeded')) return null;
  const downloading = Object.values(logs).find((l) => l && DOWNLOAD.test(l));
  return {
    code: 'progress-deadline',
    terminal: true,
    hint: HINTS.progressDeadline,
    message: `Deployment ${dep.metadata.name}: ProgressDeadlineExceeded (${prog.message ?? ''})${downloading ? `; still downloading the model:\n${lastLines(downloading, 2)}` : ''}`,
  };
}

const podState = (p: KObject) =>
  `${p.metadata.name} ${podStatus(p)?.phase ?? '?'}${containerStatuses(p)
    .map((c) => ` ready=${c.ready}${c.state?.waiting ? ` waiting=${c.state.waiting.reason}` : ''}`)
    .join('')}`;

/** The deadline passed with nothing terminal found: explain the state as it is. */
function diagnoseDeadline(i: DiagnoseInput): Diagnosis {
  if (!i.deployment)
    return { code: 'not-applied', terminal: true, hint: HINTS.notApplied, message: 'the Deployment does not exist' };
  const downloading = Object.entries(i.logs).find(([, l]) => l && DOWNLOAD.test(l));
  if (downloading) {
    return {
      code: 'slow-model-download',
      terminal: true,
      hint: HINTS.slowDownload,
      message: `not ready after ${i.timeoutS} s: ${downloading[0]} is still downloading the model:\n${lastLines(downloading[1], 2)}`,
    };
  }
  const state = i.pods.map(podState).join('; ') || 'no pods';
  return {
    code: 'not-ready-timeout',
    terminal: true,
    hint: HINTS.notReady,
    message: `not ready after ${i.timeoutS} s: ${state}`,
  };
}

export function diagnose(i: DiagnoseInput): Diagnosis | null {
  const events = i.events.map(asEvent).filter((e) => e.type === 'Warning');
  const dep = i.deployment;
  const conds = deploymentConditions(dep);
  return (
    diagnoseAdmission(events, conds) ??
    diagnosePods(events, i) ??
    (dep ? diagnoseProgress(dep, conds, i.logs) : null) ??
    (i.deadline ? diagnoseDeadline(i) : null)
  );
}
