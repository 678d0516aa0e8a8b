/* Generated from schemas/deploy-report.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

/**
 * deploy/<backend>.json written by `llmbench wait`: where the server answers and what it runs on. sweep reads the endpoint; analyze and report read the provenance.
 */
export interface DeployReport {
  schema_version: 1;
  backend: 'vllm' | 'tgi' | 'triton' | 'sglang';
  /**
   * How it was deployed.
   */
  mode?: 'direct' | 'acm' | 'simulator';
  /**
   * Base URL of the server (Route host, Service URL or simulator).
   */
  endpoint: string;
  /**
   * Served model name.
   */
  model?: string | null;
  ready: boolean;
  namespace?: string | null;
  /**
   * ACM managed cluster name, when deployed through ACM.
   */
  cluster?: string | null;
  image?: string | null;
  /**
   * sha256 digest of the running image (from pod status imageID); null through ACM (the hub does not see pods).
   */
  image_digest?: string | null;
  node?: string | null;
  gpu?: {
    /**
     * From node label nvidia.com/gpu.product (or amd.com/gpu.product-name).
     */
    product?: string | null;
    count?: number | null;
    memory_mib?: number | null;
    mig?: string | null;
    /**
     * llmbench GPU profile id used to render the manifests.
     */
    profile?: string | null;
  } | null;
  server_version?: string | null;
  engine_args?: string[];
  /**
   * What happened when, from the start of `llmbench wait` to the first successful one-token request. Events: wait-started, pod-scheduled, image-pulled, container-started, pod-ready, rollout-complete (ACM: work-applied, work-available, feedback), health-waiting, health-ok, one-token-failed, first-token, ready, warning:<Reason> (Kubernetes Warning events), failed.
   */
  timeline?: {
    at: string;
    elapsed_s?: number;
    event: string;
    detail?: string;
  }[];
  /**
   * Seconds since the wait began when each milestone was first seen: scheduled, image_pulled, container_started, pod_ready, rollout_complete (ACM: work_applied, work_available), health_ok, first_token, total.
   */
  timings_s?: {
    [k: string]: number;
  };
  /**
   * Why the server is not ready (null when ready). Codes: scc-denied, replica-failure, crashloop-scc, oom-killed, gpu-out-of-memory, crashloop, image-pull, gpu-unschedulable, unschedulable, progress-deadline, slow-model-download, not-ready-timeout, health-failed, one-token-failed, no-endpoint, not-applied, acm-apply-failed, acm-not-applied, acm-not-ready, cancelled; `llmbench wait` exits 3 with the same error code.
   */
  diagnosis?: {
    code?: string;
    message?: string;
    hint?: string;
  } | null;
}
