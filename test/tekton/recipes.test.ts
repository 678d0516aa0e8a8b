import { afterEach, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { startFakeKube, type FakeKube } from '../fakes/k8s/server.js';
import { RecipeError, RecipeRunner, recipeCommands } from './recipes.js';

let fake: FakeKube | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const readme = (f: string) => readFileSync(path.join(REPO_ROOT, f), 'utf8');
const install = () => recipeCommands(readme('README.md'));

async function runAll(r: RecipeRunner, cmds: string[]) {
  for (const c of cmds) await r.run(c);
}

describe('every install and tkn command of README.md and tekton/README.md runs against the fake API server', () => {
  test('README.md: install, bootstrap, then the tkn pipeline start recipe', async () => {
    fake = await startFakeKube({ deleteDelayMs: 10 });
    const r = new RecipeRunner(fake);
    const cmds = install();
    expect(cmds.filter((c) => c.startsWith('kubectl')).length).toBeGreaterThanOrEqual(5);
    expect(cmds.some((c) => c.startsWith('tkn pipeline start'))).toBe(true);
    await runAll(r, cmds);
    // What the entry points bind exists: PVC, ServiceAccounts, the SCC binding, secrets.
    expect(fake.get('PersistentVolumeClaim', 'llm-bench-ci', 'llm-bench-history')).toBeDefined();
    for (const sa of ['llm-bench-pipeline', 'llm-bench-build', 'llm-bench-triggers', 'llm-bench-janitor'])
      expect(fake.get('ServiceAccount', 'llm-bench-ci', sa)).toBeDefined();
    expect(fake.get('Secret', 'llm-bench-ci', 'llm-bench-incoming')).toBeDefined();
    // Every TaskRun pod of the recipe's PipelineRun was admitted, the build one under its own ServiceAccount.
    const pods = fake.all('Pod').filter((p) => p.metadata.namespace === 'llm-bench-ci');
    expect(pods.length).toBeGreaterThanOrEqual(10);
    const build = pods.find((p) => p.metadata.name.includes('-build-'))!;
    expect((build.spec as any).serviceAccountName).toBe('llm-bench-build');
  });

  test('tekton/README.md: its commands run on top of the README.md install', async () => {
    fake = await startFakeKube({ deleteDelayMs: 10 });
    const r = new RecipeRunner(fake);
    await runAll(r, install());
    const cmds = recipeCommands(readme('tekton/README.md'));
    expect(cmds.length).toBeGreaterThan(0);
    await runAll(r, cmds);
  });

  test('regression: `kubectl apply -n llm-bench-ci -f tekton/rbac/pipeline.yaml` is refused (objects declare llm-bench)', async () => {
    fake = await startFakeKube();
    const r = new RecipeRunner(fake);
    await r.run('kubectl apply -f tekton/install/namespaces.yaml -f manifests/prerequisites.yaml');
    await expect(r.run('kubectl apply -n llm-bench-ci -f tekton/rbac/pipeline.yaml')).rejects.toThrow(
      /the namespace from the provided object "llm-bench" does not match the namespace "llm-bench-ci"/,
    );
  });

  test('regression: the build pod without its ServiceAccount is refused by restricted-v2 (SCC admission)', async () => {
    fake = await startFakeKube();
    const r = new RecipeRunner(fake);
    const cmds = install().filter((c) => !c.startsWith('tkn pipeline start'));
    await runAll(r, cmds);
    const start = install().find((c) => c.startsWith('tkn pipeline start'))!;
    const withoutBuildSa = start.replace(/--task-serviceaccount build=\S+/, '');
    await expect(r.run(withoutBuildSa)).rejects.toThrow(
      /unable to validate against any security context constraint: .*runAsUser: Invalid value: 1000: must be in the ranges: \[1000680000, 1000689999\].*capability may not be added/,
    );
  });

  test('bad input: a missing prerequisite fails at once, naming the object and the install command', async () => {
    fake = await startFakeKube();
    const r = new RecipeRunner(fake);
    // Everything but the storage step (history PVC, trusted-CA ConfigMap); the recipe binds the ConfigMap.
    await runAll(
      r,
      install().filter((c) => !c.includes('tekton/install/storage.yaml')),
    ).catch((e: Error) => {
      expect(e).toBeInstanceOf(RecipeError);
      expect(e.message).toMatch(
        /configmaps "llm-bench-trusted-ca" not found in llm-bench-ci: kubectl apply -f tekton\/install\/storage.yaml/,
      );
    });
    expect.assertions(2);
  });
});
