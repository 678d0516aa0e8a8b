import { describe, expect, it } from '@jest/globals';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { cycles, describeCycle, folderEdges, importSpecifiers, layerViolations, sourceFiles } from './imports.js';

/**
 * The layers below the server registry, lowest first (steps/servers/index.ts explains them). Each may import only
 * the layers before it; the steps above (cluster, simulator, sweep, wait, build, render, apply, teardown, run, …)
 * may import any of them. Machinery names no server: what it needs to know about the servers is generated data in
 * core (core/server-catalogue.ts), and lookups by name live in steps/servers.
 */
const LAYERS = [['core'], ['workload', 'metrics', 'stats'], ['adapters', 'sim'], ['servers']] as const;

describe('no import cycles between step folders: core, then workload/metrics/stats, then adapters/sim machinery, then the server registry, then the steps that use servers by name', () => {
  const edges = folderEdges(REPO_ROOT, sourceFiles(REPO_ROOT, 'steps'));

  it('steps/<folder> imports form no cycle (tests excluded: they may reach across)', () => {
    expect(edges.length).toBeGreaterThan(10);
    expect(cycles(edges).map((c) => describeCycle(c, edges))).toEqual([]);
  });

  it('the layers below the steps import only downward: core imports no step folder, machinery no server', () => {
    expect(layerViolations(edges, LAYERS)).toEqual([]);
  });

  it('names the file that breaks a layer', () => {
    const bad = [
      { from: 'core', to: 'cluster', file: 'steps/core/config.ts', specifier: '../cluster/profiles.js' },
      { from: 'sim', to: 'servers', file: 'steps/sim/profiles.ts', specifier: '../servers/index.js' },
      { from: 'servers', to: 'sim', file: 'steps/servers/vllm/dialect.ts', specifier: '../../sim/shared.js' },
      { from: 'sweep', to: 'servers', file: 'steps/sweep/sweep.ts', specifier: '../servers/index.js' },
    ];
    expect(layerViolations(bad, LAYERS)).toEqual([
      "core → cluster (steps/core/config.ts imports '../cluster/profiles.js'): core may import no other step folder",
      "sim → servers (steps/sim/profiles.ts imports '../servers/index.js'): sim may import only core, workload, metrics, stats",
    ]);
  });

  it('finds a cycle, and names the files that make it', () => {
    const edges = [
      { from: 'plot', to: 'report', file: 'steps/plot/plot.ts', specifier: '../report/model.js' },
      { from: 'report', to: 'plot', file: 'steps/report/report.ts', specifier: '../plot/plot.js' },
      { from: 'report', to: 'core', file: 'steps/report/report.ts', specifier: '../core/log.js' },
    ];
    const found = cycles(edges);
    expect(found).toEqual([['plot', 'report']]);
    expect(describeCycle(found[0], edges)).toBe(
      "plot → report (steps/plot/plot.ts imports '../report/model.js')\n" +
        "report → plot (steps/report/report.ts imports '../plot/plot.js')",
    );
    expect(cycles(edges.slice(1))).toEqual([]);
  });

  it('reads every import form: multi-line, type-only, re-export, dynamic, import type', () => {
    const text = [
      "import {\n  a,\n  b,\n} from '../a/x.js';",
      "import type { T } from '../b/y.js';",
      "export { c } from '../c/z.js';",
      "const m = await import('../d/w.js');",
      "let u: import('../e/v.js').U;",
      "// import { no } from '../comment/ignored.js';",
      'const s = "from \'../string/ignored.js\'";',
    ].join('\n');
    expect(importSpecifiers('x.ts', text)).toEqual(['../a/x.js', '../b/y.js', '../c/z.js', '../d/w.js', '../e/v.js']);
  });
});
