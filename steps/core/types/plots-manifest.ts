/* Generated from schemas/plots-manifest.schema.json by `npm run gen:types`. Do not edit: change the schema and regenerate. */

/**
 * plots/manifest.json, written by `llmbench plot`: the charts it rendered and where their files are (relative to the work directory). `llmbench report` reads it to link or publish the PNGs, so every path is confined to plots/ by its pattern.
 */
export interface PlotManifest {
  schema_version: 1;
  /**
   * When the charts were rendered (ISO 8601).
   */
  generated_at: string;
  /**
   * Name of the chart shown first in the PR comment (`throughput` when present); null when no chart was drawn.
   */
  headline: string | null;
  /**
   * @maxItems 256
   */
  charts: {
    /**
     * Chart name; also the stem of its files.
     */
    name: string;
    /**
     * Human title (plain text, never Markdown).
     */
    title: string;
    /**
     * The Vega-Lite spec, data inlined.
     */
    spec: string;
    /**
     * The rendered SVG; null with --no-images.
     */
    svg: string | null;
    /**
     * The rendered PNG (what report publishes); null with --no-images.
     */
    png: string | null;
  }[];
  /**
   * The self-contained HTML report, beside plots/.
   */
  report_html: string;
}
