import { expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { checkedInFiles, generatedFiles } from '../../steps/render/gen-manifests.js';
import { validateObject } from '../fakes/k8s/validate.js';

test('checked-in manifests/ and manifests-acm/ match the generator (run `npm run gen:manifests`)', () => {
  const files = generatedFiles();
  expect(checkedInFiles()).toEqual([...files.keys()].sort());
  for (const [rel, content] of files) {
    const onDisk = readFileSync(path.join(REPO_ROOT, rel), 'utf8');
    expect({ file: rel, content: onDisk }).toEqual({ file: rel, content });
  }
});

test('every checked-in object is valid', () => {
  for (const rel of checkedInFiles()) {
    for (const doc of yaml.loadAll(readFileSync(path.join(REPO_ROOT, rel), 'utf8'))) {
      expect({ file: rel, problems: validateObject(doc) }).toEqual({ file: rel, problems: [] });
    }
  }
});

test('checked-in manifests pass yamllint (default rules, 140 columns)', () => {
  const config =
    '{extends: default, rules: {line-length: {max: 140}, truthy: {allowed-values: ["true", "false"], check-keys: true}}}';
  const r = spawnSync('yamllint', ['-f', 'parsable', '-d', config, 'manifests', 'manifests-acm'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  if (r.error) throw new Error(`yamllint is not installed (apt-get install yamllint): ${r.error.message}`);
  expect(r.stdout + r.stderr).toBe('');
  expect(r.status).toBe(0);
});
