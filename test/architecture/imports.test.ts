import { describe, expect, it } from '@jest/globals';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { cycles, describeCycle, folderEdges, importSpecifiers, sourceFiles } from './imports.js';

describe('no import cycles between step folders', () => {
  it('steps/<folder> imports form no cycle (tests excluded: they may reach across)', () => {
    const edges = folderEdges(REPO_ROOT, sourceFiles(REPO_ROOT, 'steps'));
    expect(edges.length).toBeGreaterThan(10);
    expect(cycles(edges).map((c) => describeCycle(c, edges))).toEqual([]);
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
