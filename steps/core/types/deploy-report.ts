/* Generated from schemas/deploy-report.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

/**
 * deploy/<backend>.json written by `llmbench wait`: where the server answers and what it runs on. sweep reads the endpoint; analyze and report read the provenance.
 */
export interface DeployReport {
  schema_version: 1;
  backend: 'vllm' | 'tgi' | 'triton';
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
   * sha256 digest of the running image (from pod status imageID).
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
   * What happened when, from apply to the first successful one-token request.
   */
  timeline?: {
    at: string;
    elapsed_s?: number;
    event: string;
    detail?: string;
  }[];
  /**
   * Durations in seconds, e.g. scheduled, image_pulled, ready, first_token.
   */
  timings_s?: {
    [k: string]: number;
  };
  diagnosis?: {
    code?: string;
    message?: string;
    hint?: string;
  } | null;
}
