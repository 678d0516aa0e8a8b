/**
 * What makes one run's server its own: names carrying the run id, labels naming the owning PipelineRun (the
 * janitor `llmbench gc` reads them), a NetworkPolicy that admits only the benchmark's pods, and the node the GPU
 * profile asks for. Server-independent: every server's objects get the same treatment.
 */
import { createHash } from 'node:crypto';
import type { KObject } from './objects.js';
import type { GpuProfile, MigStrategy } from './profiles.js';

/** Labels naming the owning PipelineRun and its namespace, on every server object of the run. */
export const PIPELINERUN_LABEL = 'llmbench.dev/pipelinerun';
export const PIPELINERUN_NS_LABEL = 'llmbench.dev/pipelinerun-namespace';
export const RUN_ID_LABEL = 'llmbench.dev/run-id';

const MAX_NAME = 63; // Service names are DNS-1035 labels (RFC 1035): at most 63 characters.

/** A run id as a DNS label fragment: lower case, [a-z0-9-], no leading/trailing dash. */
export function runIdSlug(runId: string): string {
  return runId
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * `<base>-<run id>`, bounded to 63 characters: a longer run id is cut and suffixed with 8 hex digits of its
 * sha256, so two long ids sharing a prefix still get different names.
 */
export function scopedName(base: string, runId?: string): string {
  if (!runId) return base;
  const slug = runIdSlug(runId);
  const full = `${base}-${slug}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(runId).digest('hex').slice(0, 8);
  const room = MAX_NAME - base.length - hash.length - 2;
  return `${base}-${slug.slice(0, room).replace(/-+$/, '')}-${hash}`;
}

export interface RunScope {
  /** Run id in every server object name (the PipelineRun name under Tekton); empty: unscoped names. */
  runId?: string;
  /** Owning PipelineRun (label value) and its namespace (the client pods' namespace). */
  pipelineRun?: string;
  /** Namespace the benchmark's own pods (wait, sweep) run in: the only one the NetworkPolicy admits. */
  clientNamespace: string;
}

export function scopeLabels(s: RunScope): Record<string, string> {
  const l: Record<string, string> = {};
  if (s.runId) l[RUN_ID_LABEL] = scopedName('r', s.runId).slice(2);
  if (s.pipelineRun) {
    l[PIPELINERUN_LABEL] = s.pipelineRun;
    l[PIPELINERUN_NS_LABEL] = s.clientNamespace;
  }
  return l;
}

/**
 * TGI and Triton have no authentication of their own: only the benchmark's pods may reach the server. Tekton
 * labels every TaskRun pod with `tekton.dev/pipelineRun` and `tekton.dev/pipeline`
 * (https://tekton.dev/docs/pipelines/labels/): this run's pods when the run is known, else any llm-bench
 * pod in the client namespace. A Route adds OpenShift's ingress namespaces (the documented
 * `policy-group.network.openshift.io/ingress` namespace label, OpenShift "Configuring multitenant isolation
 * with network policy").
 */
export function networkPolicy(
  s: RunScope,
  meta: { name: string; namespace: string; labels: Record<string, string> },
  podSelector: Record<string, string>,
  ports: number[],
  route: boolean,
): KObject {
  const clients = s.pipelineRun ? { 'tekton.dev/pipelineRun': s.pipelineRun } : { 'tekton.dev/pipeline': 'llm-bench' };
  const portList = ports.map((port) => ({ protocol: 'TCP', port }));
  const ingress: Record<string, unknown>[] = [
    {
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': s.clientNamespace } },
          podSelector: { matchLabels: clients },
        },
      ],
      ports: portList,
    },
  ];
  if (route)
    ingress.push({
      from: [{ namespaceSelector: { matchLabels: { 'policy-group.network.openshift.io/ingress': '' } } }],
      ports: portList.slice(0, 1),
    });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta,
    spec: { podSelector: { matchLabels: podSelector }, policyTypes: ['Ingress'], ingress },
  };
}

/**
 * Pins the pod to the GPU model of the profile, so a run never lands on another GPU than its baseline. NVIDIA's
 * GPU feature discovery labels `nvidia.com/gpu.product`; under the MIG `single` strategy the value carries the
 * slice (`…-MIG-3g.20gb`), under `mixed` it is the whole GPU's name and the slices are separate resources
 * (NVIDIA/gpu-feature-discovery README, "MIG strategies"). AMD's node labeller: `amd.com/gpu.product-name`.
 */
export function gpuNodeSelector(p: GpuProfile, mig: MigStrategy): Record<string, string> {
  if (!p.product_label) return {};
  if (p.vendor === 'amd') return { 'amd.com/gpu.product-name': p.product_label };
  const product = mig === 'mixed' ? p.product_label.replace(/-MIG-[^-]+$/, '') : p.product_label;
  return { 'nvidia.com/gpu.product': product };
}
