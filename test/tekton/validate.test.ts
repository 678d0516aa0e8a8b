/**
 * Proof without a cluster that tekton/ and .tekton/ would be accepted and would wire up: tekton-lint, the
 * published CRD schemas (strict), structural checks for the schema-less Triggers CRDs, our reference checks,
 * the llmbench flags each step uses, yamllint and shellcheck.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CronJob } from 'kubernetes-models/batch/v1';
import { ServiceAccount } from 'kubernetes-models/v1';
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { REPO_ROOT } from '../../steps/core/paths.js';
import {
  CrdValidator,
  allLlmbenchCalls,
  checkPipeline,
  checkPipelineRun,
  checkTask,
  cliCommands,
  dagOrder,
  llmbenchCalls,
  loadDocs,
  ofKind,
  refs,
  strings,
  toStrictJsonSchema,
  where,
  type Doc,
  type Obj,
} from './tekton.js';

const docs = loadDocs();
const crds = new CrdValidator();
const tasks = new Map<string, Obj>(ofKind(docs, 'Task').map((d) => [d.obj.metadata.name, d.obj]));
const pipeline = ofKind(docs, 'Pipeline').find((d) => d.obj.metadata.name === 'llm-bench')!;
const fmt = (ps: { where?: string; path?: string; message: string }[]) =>
  ps.map((p) => `${p.where ?? p.path}: ${p.message}`);

describe('tekton/ inventory', () => {
  it('has one tekton.dev/v1 Task per step, the llm-bench Pipeline, triggers, PaC runs, CronJob and RBAC', () => {
    expect([...tasks.keys()].sort()).toEqual(
      [
        'analyze',
        'apply',
        'bootstrap-steps-image',
        'build',
        'image',
        'plot',
        'report',
        'source',
        'sweep',
        'teardown',
        'wait',
      ]
        .map((s) => `llmbench-${s}`)
        .sort(),
    );
    for (const d of ofKind(docs, 'Task')) expect(d.obj.apiVersion).toBe('tekton.dev/v1');
    expect(pipeline?.obj.apiVersion).toBe('tekton.dev/v1');
    for (const k of [
      'EventListener',
      'TriggerBinding',
      'TriggerTemplate',
      'Repository',
      'CronJob',
      'ServiceAccount',
      'Role',
      'RoleBinding',
    ]) {
      expect(ofKind(docs, k).length).toBeGreaterThan(0);
    }
    expect(
      ofKind(docs, 'PipelineRun')
        .map((d) => d.file)
        .every((f) => f.startsWith('.tekton/')),
    ).toBe(true);
  });
});

describe('@ibm/tekton-lint', () => {
  it('reports zero errors and zero warnings over tekton/ and .tekton/', () => {
    const r = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules/@ibm/tekton-lint/dist/lint.js'),
        '--format',
        'json',
        'tekton/**/*.yaml',
        '.tekton/*.yaml',
      ],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    expect(r.error).toBeUndefined();
    const problems = JSON.parse(r.stdout) as { message: string; level: string; path: string }[];
    expect(problems.map((p) => `${p.level} ${p.path}: ${p.message}`)).toEqual([]);
  });

  it('regression: it does catch an undefined param (so the empty result above means something)', () => {
    const r = spawnSync(
      process.execPath,
      [
        path.join(REPO_ROOT, 'node_modules/@ibm/tekton-lint/dist/lint.js'),
        '--format',
        'json',
        'test/tekton/fixtures/lint-broken.yaml',
      ],
      {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      },
    );
    const problems = JSON.parse(r.stdout) as { rule: string; level: string }[];
    expect(problems.some((p) => p.rule === 'no-undefined-param' && p.level === 'error')).toBe(true);
  });
});

describe('CRD schemas (test/fixtures/specs, served version, strict unknown-field checking)', () => {
  const covered = docs.filter((d) => crds.knows(d.obj));
  it.each(covered.map((d) => [where(d), d] as [string, Doc]))('%s', (_w, d) => {
    expect(fmt(crds.validate(d.obj))).toEqual([]);
  });

  it('validates the PipelineRun inside the TriggerTemplate against the PipelineRun CRD', () => {
    const runs = ofKind(docs, 'TriggerTemplate').flatMap((d) => d.obj.spec.resourcetemplates);
    expect(runs.length).toBeGreaterThan(0);
    for (const r of runs) expect(fmt(crds.validate(r, { generateNameAllowed: true }))).toEqual([]);
  });

  it('catches a typo the way the API server with strict field validation would (stpes, runAsNonroot)', () => {
    const t = structuredClone(tasks.get('llmbench-sweep')!);
    t.spec.stpes = t.spec.steps;
    t.spec.steps[0].securityContext = { runAsNonroot: true };
    const msgs = fmt(crds.validate(t));
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringContaining("must NOT have additional properties 'stpes'"),
        expect.stringContaining("'runAsNonroot'"),
      ]),
    );
  });

  it('maps x-kubernetes-int-or-string and preserve-unknown-fields correctly', () => {
    expect(toStrictJsonSchema({ 'x-kubernetes-int-or-string': true })).toEqual({
      anyOf: [{ type: 'integer' }, { type: 'string' }],
    });
    expect(
      toStrictJsonSchema({
        type: 'object',
        properties: { a: { type: 'string' } },
        'x-kubernetes-preserve-unknown-fields': true,
      }),
    ).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
    expect(toStrictJsonSchema({ type: 'object', properties: { a: { type: 'string' } } })).toMatchObject({
      additionalProperties: false,
    });
  });

  it('knows the Triggers CRDs are preserve-unknown-fields only (hence the structural checks below)', () => {
    for (const d of [
      ...ofKind(docs, 'EventListener'),
      ...ofKind(docs, 'TriggerBinding'),
      ...ofKind(docs, 'TriggerTemplate'),
    ]) {
      expect(crds.isPreserveUnknownOnly(d.obj)).toBe(true);
    }
  });

  it('core kinds (CronJob, ServiceAccount, RBAC) pass kubernetes-models validation', () => {
    const models: Record<string, new (o: any) => { validate(): void }> = {
      CronJob,
      ServiceAccount,
      Role,
      RoleBinding,
      ClusterRole,
      ClusterRoleBinding,
    };
    const core = docs.filter((d) => models[d.obj.kind]);
    expect(core.length).toBeGreaterThan(5);
    for (const d of core) expect(() => new models[d.obj.kind](d.obj).validate()).not.toThrow();
  });
});

describe('Tasks follow the catalog rules', () => {
  const taskDocs = ofKind(docs, 'Task');
  it.each(taskDocs.map((d) => [d.obj.metadata.name, d] as [string, Doc]))(
    '%s: references resolve, params only via env, all described',
    (_n, d) => {
      expect(fmt(checkTask(d))).toEqual([]);
      const s = d.obj.spec;
      expect(s.description).toBeTruthy();
      for (const x of [...(s.params ?? []), ...(s.results ?? []), ...(s.workspaces ?? [])])
        expect([x.name, !!x.description]).toEqual([x.name, true]);
    },
  );

  it.each(taskDocs.map((d) => [d.obj.metadata.name, d] as [string, Doc]))(
    '%s: images pinned by digest, non-root, no escalation, seccomp',
    (_n, d) => {
      const s = d.obj.spec;
      for (const step of s.steps) {
        expect([step.name, step.image]).toEqual([
          step.name,
          expect.stringMatching(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[\w.-]+)?@sha256:[0-9a-f]{64}$/),
        ]);
        const sc = { ...(s.stepTemplate?.securityContext ?? {}), ...(step.securityContext ?? {}) };
        expect([step.name, sc.runAsNonRoot, sc.capabilities?.drop, sc.seccompProfile?.type]).toEqual([
          step.name,
          true,
          ['ALL'],
          'RuntimeDefault',
        ]);
        // Buildah's documented exception (OpenShift Pipelines: non-root buildah needs SETUID/SETGID via escalation).
        const isBuildah = /buildah/.test(step.image);
        expect([step.name, sc.allowPrivilegeEscalation]).toEqual([step.name, isBuildah]);
        expect(sc.privileged).toBeUndefined();
        if (!isBuildah) expect(sc.capabilities?.add).toBeUndefined();
        expect(step.script?.startsWith('#!/bin/sh\n') ?? true).toBe(true);
      }
    },
  );

  it('all llmbench steps use the one steps image', () => {
    const images = new Set(
      taskDocs.flatMap((d) =>
        d.obj.spec.steps
          .filter((s: Obj) => /llmbench/.test(s.script ?? '') || /node -e/.test(s.script ?? ''))
          .map((s: Obj) => s.image),
      ),
    );
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^quay\.io\/llmbench\/llmbench-steps@sha256:/);
  });

  it('results are the small exact strings the design names', () => {
    const results = Object.fromEntries(
      taskDocs.map((d) => [d.obj.metadata.name, (d.obj.spec.results ?? []).map((r: Obj) => r.name)]),
    );
    expect(results).toMatchObject({
      'llmbench-build': ['image', 'image-digest', 'model-cache'],
      'llmbench-image': ['image', 'image-digest', 'model-cache'],
      'llmbench-wait': ['endpoint', 'image-digest'],
      'llmbench-analyze': ['verdict'],
      'llmbench-source': ['commit'],
    });
  });
});

describe('Pipeline llm-bench', () => {
  it('every $(params.*), $(tasks.*.results.*) and workspace resolves; every param is used; the DAG is acyclic', () => {
    expect(fmt(checkPipeline(pipeline, tasks))).toEqual([]);
  });

  it('runs source → build → image → apply → wait → sweep → analyze → plot, with report and teardown in finally', () => {
    // The A/B baseline arm deploys and loads beside the candidate; the sweep starts once both answer.
    expect(dagOrder(pipeline.obj.spec.tasks)).toEqual([
      ['source'],
      ['build'],
      ['image'],
      ['apply', 'apply-baseline'],
      ['wait', 'wait-baseline'],
      ['sweep'],
      ['analyze'],
      ['plot'],
    ]);
    expect(pipeline.obj.spec.finally.map((t: Obj) => t.name).sort()).toEqual([
      'report',
      'teardown',
      'teardown-baseline',
    ]);
  });

  it('the baseline arm runs only on A/B runs that are not nightly, under its own arm name, torn down in finally', () => {
    const all = [...pipeline.obj.spec.tasks, ...pipeline.obj.spec.finally] as Obj[];
    const arm = all.filter((t) => t.params?.some((p: Obj) => p.name === 'arm'));
    expect(arm.map((t) => [t.name, t.taskRef.name, t.params.find((p: Obj) => p.name === 'arm').value])).toEqual([
      ['apply-baseline', 'llmbench-apply', 'baseline'],
      ['wait-baseline', 'llmbench-wait', 'baseline'],
      ['teardown-baseline', 'llmbench-teardown', 'baseline'],
    ]);
    for (const t of arm)
      expect([t.name, t.when]).toEqual([
        t.name,
        [
          { input: '$(params.ab)', operator: 'in', values: ['true'] },
          { input: '$(params.update-baseline)', operator: 'notin', values: ['true'] },
        ],
      ]);
    const pr = docs.find((d) => d.file === '.tekton/pull-request.yaml')!.obj;
    expect(pr.spec.params.find((p: Obj) => p.name === 'ab')?.value).toBe('true');
  });

  it('report and teardown consume no result of a task that can fail late (they would be skipped)', () => {
    for (const t of pipeline.obj.spec.finally) {
      const consumed = strings(t)
        .flatMap((s) => refs(s.value))
        .filter((r) => r.startsWith('tasks.'))
        .map((r) => r.split('.')[1]);
      expect([t.name, consumed.filter((n) => n !== 'source')]).toEqual([t.name, []]);
    }
  });

  it('has the params the issue names: backend, model, GPU profile, target, load plan, baseline, PR number, SHA', () => {
    const names = pipeline.obj.spec.params.map((p: Obj) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'backend',
        'model',
        'gpu-profile',
        'namespace',
        'managed-cluster',
        'concurrency',
        'requests',
        'trials',
        'baseline-ref',
        'pr-number',
        'revision',
      ]),
    );
    expect(pipeline.obj.spec.workspaces.filter((w: Obj) => !w.optional).map((w: Obj) => w.name)).toEqual(['work']);
  });

  it('regression: the reference check flags a misspelt param, an unknown result and an unused param', () => {
    const broken = structuredClone(pipeline.obj);
    broken.spec.tasks.find((t: Obj) => t.name === 'sweep').params.find((p: Obj) => p.name === 'model').value =
      '$(params.served-modle)';
    broken.spec.tasks.find((t: Obj) => t.name === 'sweep').params.find((p: Obj) => p.name === 'endpoint').value =
      '$(tasks.wait.results.url)';
    broken.spec.params.push({ name: 'left-over', type: 'string', default: '' });
    const msgs = fmt(checkPipeline({ ...pipeline, obj: broken }, tasks)).join('\n');
    expect(msgs).toMatch(/no pipeline param 'served-modle'/);
    expect(msgs).toMatch(/task 'wait' has no result 'url'/);
    expect(msgs).toMatch(/pipeline param 'left-over' is never used/);
  });
});

describe('PipelineRuns (Pipelines-as-Code and the TriggerTemplate) fit the Pipeline', () => {
  const pacRuns = ofKind(docs, 'PipelineRun');
  it.each(pacRuns.map((d) => [where(d), d] as [string, Doc]))('%s', (_w, d) => {
    expect(d.obj.spec.pipelineRef?.name).toBe('llm-bench');
    expect(fmt(checkPipelineRun(where(d), d.obj, pipeline.obj))).toEqual([]);
    const a = d.obj.metadata.annotations;
    expect(a['pipelinesascode.tekton.dev/pipeline']).toBe('tekton/pipeline.yaml');
    // The PaC resolver must be told where every referenced Task lives.
    const listed = Object.entries(a)
      .filter(([k]) => /^pipelinesascode\.tekton\.dev\/task(-\d+)?$/.test(k))
      .map(([, v]) => v);
    // The Pipeline's Tasks (the bootstrap Task is installed on its own, never inlined into a run).
    const files = new Set(
      docs.filter((x) => x.obj.kind === 'Task' && x.file.startsWith('tekton/tasks/')).map((x) => x.file),
    );
    expect(new Set(listed)).toEqual(files);
    expect(a['pipelinesascode.tekton.dev/on-event'] ?? a['pipelinesascode.tekton.dev/on-comment']).toBeTruthy();
    expect(a['pipelinesascode.tekton.dev/on-target-branch']).toBe('[main]');
    // PaC variables only: {{ name }}.
    for (const { value } of strings(d.obj.spec))
      for (const m of value.matchAll(/\{\{\s*([\w-]+)\s*\}\}/g))
        expect([
          'revision',
          'repo_url',
          'repo_owner',
          'repo_name',
          'pull_request_number',
          'git_auth_secret',
          'target_branch',
          'source_branch',
          'sender',
          'event_type',
          'trigger_comment',
          // Custom params: defined (with defaults) in the Repository CR's spec.params.
          ...ofKind(docs, 'Repository').flatMap((r) => (r.obj.spec.params ?? []).map((p: Obj) => p.name)),
        ]).toContain(m[1]);
  });

  it('covers pull_request, a /benchmark comment and the incoming (nightly) webhook', () => {
    const ann = pacRuns.map((d) => d.obj.metadata.annotations);
    expect(ann.some((a) => a['pipelinesascode.tekton.dev/on-event'] === '[pull_request]')).toBe(true);
    expect(ann.some((a) => /\^\/benchmark/.test(a['pipelinesascode.tekton.dev/on-comment'] ?? ''))).toBe(true);
    expect(ann.some((a) => a['pipelinesascode.tekton.dev/on-event'] === '[incoming]')).toBe(true);
  });

  it('the Repository CR gates forks (policy/ok-to-test), serializes GPU use and allows the nightly params', () => {
    const [repo] = ofKind(docs, 'Repository');
    expect(repo.obj.spec.concurrency_limit).toBe(1);
    expect(repo.obj.spec.settings.policy.ok_to_test.length).toBeGreaterThan(0);
    expect(repo.obj.spec.settings.pipelinerun_provenance).toBe('default_branch');
    const nightly = pacRuns.find(
      (d) => d.obj.metadata.annotations['pipelinesascode.tekton.dev/on-event'] === '[incoming]',
    )!;
    const runParams = new Set(nightly.obj.spec.params.map((p: Obj) => p.name));
    for (const p of repo.obj.spec.incoming[0].params) expect(runParams.has(p)).toBe(true);
  });
});

describe('Tekton Triggers (structural checks: the CRDs carry no schema)', () => {
  const [el] = ofKind(docs, 'EventListener');
  const bindings = new Map<string, Obj>(ofKind(docs, 'TriggerBinding').map((d) => [d.obj.metadata.name, d.obj]));
  const templates = new Map<string, Obj>(ofKind(docs, 'TriggerTemplate').map((d) => [d.obj.metadata.name, d.obj]));
  const ALLOWED = {
    github: new Set(['secretRef', 'eventTypes', 'addChangedFiles', 'githubOwners']),
    cel: new Set(['filter', 'overlays']),
  } as Record<string, Set<string>>;

  it('EventListener: known fields, github interceptor first with a secretRef, CEL filters, existing bindings and template', () => {
    const problems: string[] = [];
    const known = (o: Obj, keys: string[], at: string) =>
      Object.keys(o).forEach((k) => keys.includes(k) || problems.push(`${at}: unknown field '${k}'`));
    known(el.obj, ['apiVersion', 'kind', 'metadata', 'spec'], '/');
    known(
      el.obj.spec,
      ['serviceAccountName', 'triggers', 'resources', 'namespaceSelector', 'labelSelector', 'cloudEventURI'],
      '/spec',
    );
    expect(el.obj.apiVersion).toBe('triggers.tekton.dev/v1beta1');
    for (const [i, t] of el.obj.spec.triggers.entries()) {
      const at = `/spec/triggers/${i}`;
      known(t, ['name', 'interceptors', 'bindings', 'template', 'serviceAccountName'], at);
      expect(t.interceptors[0].ref.name).toBe('github');
      const gh = Object.fromEntries(t.interceptors[0].params.map((p: Obj) => [p.name, p.value]));
      expect(gh.secretRef).toEqual({ secretName: expect.any(String), secretKey: expect.any(String) });
      expect(Array.isArray(gh.eventTypes) && gh.eventTypes.length > 0).toBe(true);
      for (const [j, ic] of t.interceptors.entries()) {
        known(ic, ['name', 'ref', 'params'], `${at}/interceptors/${j}`);
        known(ic.ref, ['name', 'kind', 'apiVersion'], `${at}/interceptors/${j}/ref`);
        if (!ALLOWED[ic.ref.name]) problems.push(`${at}/interceptors/${j}: unknown interceptor ${ic.ref.name}`);
        for (const p of ic.params ?? [])
          if (!ALLOWED[ic.ref.name]?.has(p.name)) problems.push(`${at}/interceptors/${j}: unknown param ${p.name}`);
      }
      const cel = t.interceptors.find((ic: Obj) => ic.ref.name === 'cel');
      expect(cel?.params.find((p: Obj) => p.name === 'filter')?.value).toBeTruthy();
      for (const b of t.bindings) if (!bindings.has(b.ref)) problems.push(`${at}: binding ${b.ref} does not exist`);
      if (!templates.has(t.template.ref)) problems.push(`${at}: template ${t.template.ref} does not exist`);
      // Every template param without a default must come from this trigger's bindings, and bindings may only set template params.
      const tt = templates.get(t.template.ref)!;
      const provided = new Set<string>(
        t.bindings.flatMap((b: Obj) => (bindings.get(b.ref)?.spec.params ?? []).map((p: Obj) => p.name)),
      );
      const ttParams = new Map<string, Obj>(tt.spec.params.map((p: Obj) => [p.name, p]));
      for (const p of provided)
        if (!ttParams.has(p)) problems.push(`${at}: binding param ${p} is not a template param`);
      for (const [n, p] of ttParams)
        if (p.default === undefined && !provided.has(n)) problems.push(`${at}: template param ${n} has no value`);
      // Overlays used as $(extensions.x) must be defined by this trigger's CEL interceptor.
      const overlays = new Set<string>(
        (cel?.params.find((p: Obj) => p.name === 'overlays')?.value ?? []).map((o: Obj) => o.key),
      );
      for (const b of t.bindings)
        for (const p of bindings.get(b.ref)?.spec.params ?? [])
          for (const r of refs(p.value))
            if (r.startsWith('extensions.') && !overlays.has(r.split('.')[1]))
              problems.push(`${at}: $(${r}) has no overlay`);
    }
    expect(problems).toEqual([]);
  });

  it('pull requests from forks need a label or an owner/member/collaborator comment', () => {
    const filters = el.obj.spec.triggers.map(
      (t: Obj) =>
        t.interceptors.find((ic: Obj) => ic.ref.name === 'cel').params.find((p: Obj) => p.name === 'filter')
          .value as string,
    );
    expect(filters[0]).toMatch(/head\.repo\.full_name == body\.repository\.full_name/);
    expect(filters[0]).toMatch(/ok-to-benchmark/);
    expect(filters[1]).toMatch(/author_association in \['OWNER', 'MEMBER', 'COLLABORATOR'\]/);
    expect(filters[1]).toMatch(/\^\/benchmark/);
  });

  it('TriggerBindings map only event fields, TriggerTemplate params are all declared and used', () => {
    const problems: string[] = [];
    for (const [name, b] of bindings) {
      for (const p of b.spec.params) {
        if (typeof p.value !== 'string') problems.push(`${name}/${p.name}: value must be a string`);
        for (const r of refs(p.value))
          if (!/^(body|header|extensions)\./.test(r)) problems.push(`${name}/${p.name}: $(${r}) is not an event field`);
      }
    }
    for (const [name, tt] of templates) {
      const declared = new Set<string>(tt.spec.params.map((p: Obj) => p.name));
      const used = new Set<string>();
      for (const { value } of strings(tt.spec.resourcetemplates)) {
        for (const r of refs(value)) {
          if (!r.startsWith('tt.params.'))
            problems.push(`${name}: $(${r}) in a resource template (only $(tt.params.*) is substituted)`);
          else if (!declared.has(r.slice(10))) problems.push(`${name}: $(${r}) is not declared`);
          else used.add(r.slice(10));
        }
      }
      for (const p of declared) if (!used.has(p)) problems.push(`${name}: param ${p} is never used`);
      for (const r of tt.spec.resourcetemplates) {
        expect(r.metadata.generateName).toBeTruthy();
        problems.push(...fmt(checkPipelineRun(`${name} resourcetemplate`, r, pipeline.obj, [/^tt\.params\./])));
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('every llmbench call in a step uses a command and flags the CLI has', () => {
  let cli: Awaited<ReturnType<typeof cliCommands>>;
  beforeAll(async () => {
    cli = await cliCommands();
  });
  const calls = allLlmbenchCalls(docs);

  it('finds the calls (the parser is not silently empty)', () => {
    expect(calls.map((c) => `${c.task}/${c.command}`).sort()).toEqual(
      ['analyze', 'apply', 'build', 'plot', 'report', 'sweep', 'teardown', 'wait']
        .map((c) => `llmbench-${c}/${c}`)
        .sort(),
    );
    expect(
      llmbenchCalls('t', 's', 'set -- --a "x"\nif true; then set -- "$@" --b y; fi\nllmbench run "$@" \\\n  --c z\n'),
    ).toEqual([{ task: 't', step: 's', command: 'run', flags: ['--c', '--a', '--b'] }]);
  });

  it.each(calls.map((c) => [`${c.task}: llmbench ${c.command} ${c.flags.join(' ')}`, c] as const))('%s', (_n, c) => {
    const cmd = cli.get(c.command);
    expect(cmd).toBeDefined();
    const missing = c.flags.filter((f) => !cmd!.flags.has(f));
    if (cmd!.built) {
      expect(missing).toEqual([]);
    } else {
      // Still a notBuilt stub (another issue is building it): it must say so; the strict check applies the
      // moment it is built. The missing flags are printed so the gap is visible in every test run.
      expect(cmd!.built).toBe(false);
      if (missing.length) console.warn(`llmbench ${c.command} is not built yet; the Task needs: ${missing.join(' ')}`);
    }
  });
});

describe('linters', () => {
  it('yamllint (Debian) passes with tekton/.yamllint', () => {
    const r = spawnSync('yamllint', ['-c', 'tekton/.yamllint', '-f', 'parsable', 'tekton', '.tekton'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    if (r.error) throw new Error('yamllint is not installed: apt-get install -y yamllint (.ci/run installs it)');
    expect(r.stdout.trim().split('\n').filter(Boolean)).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('shellcheck passes on every step script (POSIX sh), after Tekton substitution', () => {
    const bad: string[] = [];
    for (const d of ofKind(docs, 'Task')) {
      for (const s of d.obj.spec.steps) {
        if (!s.script) continue;
        // Tekton replaces $(results.x.path) before the shell runs; shellcheck would read it as command substitution.
        const script = s.script.replace(/\$\(results\.([\w-]+)\.path\)/g, '/tekton/results/$1');
        const r = spawnSync('shellcheck', ['-s', 'sh', '-f', 'gcc', '-'], { input: script, encoding: 'utf8' });
        if (r.error)
          throw new Error('shellcheck is not installed: apt-get install -y shellcheck (.ci/run installs it)');
        if (r.status !== 0) bad.push(`${d.obj.metadata.name}/${s.name}:\n${r.stdout}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
