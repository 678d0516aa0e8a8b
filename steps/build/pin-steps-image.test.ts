import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../core/paths.js';
import { STEPS_REF, drift, readBuilds, readPin, tektonFiles, unbuilt } from './pin-steps-image.js';

describe('the steps image comes from one place, pinned by a digest a build produced', () => {
  test('every steps image reference in tekton/ and .tekton/ is the pin in tekton/steps-image', () => {
    const pin = readPin();
    expect(drift(pin)).toEqual([]);
    // Not vacuous: the Tasks do reference it.
    const refs = tektonFiles().flatMap((f) => [...readFileSync(f, 'utf8').matchAll(STEPS_REF)]);
    expect(refs.length).toBeGreaterThan(10);
  });

  test('the pinned digest is one that `npm run image:steps --record` (or the bootstrap) really pushed', () => {
    const builds = readBuilds();
    expect(unbuilt(readPin(), builds)).toBeNull();
    const b = builds.find((r) => readPin().endsWith(r.digest))!;
    expect(b.build_seconds).toBeGreaterThan(0);
    expect(b.size).toMatch(/[0-9] [MG]B$/);
  });

  test('regression: the seed’s placeholder digest (0cfc…614e), which no build produced, is refused', () => {
    const placeholder =
      'quay.io/llmbench/llmbench-steps@sha256:0cfc73cfdcdf6c3cf2f29d805c5f5841bdc6b0841ab2bcdd68b37a7bd7cd614e';
    expect(unbuilt(placeholder, readBuilds())).toMatch(/produced by no recorded build/);
    const f = path.join(REPO_ROOT, 'tekton', 'tasks', 'sweep.yaml');
    expect(drift(placeholder, [f]).length).toBeGreaterThan(0);
  });

  test('the Dockerfile’s base is pinned by digest, and its Node version is the one the CI base installs', () => {
    const dockerfile = readFileSync(path.join(REPO_ROOT, 'docker', 'steps', 'Dockerfile'), 'utf8');
    const m = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile);
    expect(m?.[1]).toMatch(/^docker\.io\/library\/node:20\.[0-9]+\.[0-9]+-bookworm-slim@sha256:[0-9a-f]{64}$/);
    const version = /node:([0-9.]+)-/.exec(m![1])![1];
    // build-image.sh reads the version from this line; the machine's Node is what the tests ran on.
    const script = readFileSync(path.join(REPO_ROOT, 'docker', 'steps', 'build-image.sh'), 'utf8');
    expect(script).toContain("sed -n 's/^ARG NODE_IMAGE=.*node:");
    expect(process.version.startsWith('v20.')).toBe(version.startsWith('20.'));
    // The CA option: an ARG in the build stage, never a COPY of a certificate.
    expect(dockerfile).toMatch(/^ARG npm_config_cafile$/m);
    expect(dockerfile).not.toMatch(/^(COPY|ADD)\s.*\.(crt|pem)\b/m);
  });
});
