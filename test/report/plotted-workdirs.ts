/**
 * For the GitHub report tests: one plotted fixture work directory made per test file (plot is the slow part), and
 * a fresh copy of it per test, so a test's report/ never meets another's.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runPlot } from '../../steps/plot/plot.js';
import { silentLogger } from '../../steps/core/log.js';
import { writeFixtureWorkdir } from './fixtures.js';

export class PlottedWorkdirs {
  private tmp = '';
  private plotted = '';
  private n = 0;

  async setUp(prefix: string): Promise<void> {
    this.tmp = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
    this.plotted = path.join(this.tmp, 'plotted');
    await writeFixtureWorkdir(this.plotted);
    await runPlot({ workdir: this.plotted, log: silentLogger, scale: 1 });
  }

  /** A copy of the plotted work directory, for one test. */
  async fresh(): Promise<string> {
    const wd = path.join(this.tmp, `wd-${this.n++}`);
    await fs.cp(this.plotted, wd, { recursive: true });
    return wd;
  }

  async tearDown(): Promise<void> {
    if (this.tmp) await fs.rm(this.tmp, { recursive: true, force: true });
  }
}

/** `llmbench report` argv for one pull request (by default PR 7 of octo/bench on the fake GitHub), then `extra`. */
export function reportArgs(
  wd: string,
  t: { api: string; sha: string; repo?: string; pr?: string },
  ...extra: string[]
): string[] {
  const target = ['--github-repo', t.repo ?? 'octo/bench', '--pr', t.pr ?? '7', '--sha', t.sha, '--github-api', t.api];
  return ['report', '--workdir', wd, ...target, ...extra];
}
