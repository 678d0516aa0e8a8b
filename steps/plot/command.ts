import { notBuilt } from '../core/command.js';
export const command = notBuilt('plot', 'Render Vega-Lite charts (SVG, PNG) and report.html from the analysis', (c) => c.option('--workdir <dir>', 'work directory'));
