/* Generated from schemas/import-notes.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

/**
 * <runs>/<backend>/import.json, written by `llmbench import` next to the summary.json it made from other tools' result files: which files, which tool versions, and what the conversion found. analyze reads `findings`.
 */
export interface ImportNotes {
  schema_version: 1;
  /**
   * The tool whose files were imported (--format).
   */
  format: 'seed' | 'vllm' | 'guidellm' | 'aiperf' | 'genai-perf';
  /**
   * Backend id the results were filed under (the directory name).
   */
  backend: string;
  /**
   * Where the backend id came from: --backend, the tool's stable default, or the file itself (the seed names the server it measured).
   */
  backend_source: 'flag' | 'default' | 'file';
  /**
   * Absolute paths of the files imported into this backend, each once.
   */
  files: string[];
  /**
   * Versions or shapes of the tool the files came from, as far as they tell.
   */
  tool_versions: string[];
  findings: {
    /**
     * Stable finding code, e.g. duplicate-input, model-mismatch, backend-mismatch, claim-contradiction, incomplete-requests.
     */
    code: string;
    severity: 'info' | 'warning' | 'error';
    message: string;
    concurrency?: number | null;
    rate?: number | null;
    count?: number;
  }[];
}
