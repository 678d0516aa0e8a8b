/**
 * Headless rendering: Vega-Lite → Vega → SVG (vega's headless 'none' renderer, no canvas) → PNG with resvg.
 * resvg draws no text at all when it finds no font, so the default family is named explicitly
 * (fonts-dejavu-core on Debian) and a test checks that text pixels exist.
 */
import { compile } from 'vega-lite';
import { View, parse } from 'vega';
import { Resvg } from '@resvg/resvg-js';
import { FONT } from './specs.js';

export interface Rendered {
  svg: string;
  png: Uint8Array;
}

export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
  // vega-lite's TopLevelSpec type is a deep union; our specs are validated against its JSON schema in tests.
  const vg = compile(spec as unknown as Parameters<typeof compile>[0]).spec;
  const view = new View(parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, opts: { scale?: number } = {}): Uint8Array {
  return rasterize(svg, opts).asPng();
}

/** The rasterized image (raw RGBA pixels available), with the same font settings as the PNG files. */
export function rasterize(svg: string, opts: { scale?: number } = {}) {
  const r = new Resvg(svg, {
    font: { loadSystemFonts: true, defaultFontFamily: FONT },
    background: 'white',
    fitTo: opts.scale && opts.scale !== 1 ? { mode: 'zoom', value: opts.scale } : { mode: 'original' },
  });
  return r.render();
}

export async function renderChart(spec: Record<string, unknown>, opts: { scale?: number } = {}): Promise<Rendered> {
  const svg = await renderSvg(spec);
  return { svg, png: svgToPng(svg, opts) };
}
