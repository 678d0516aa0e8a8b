/**
 * Extracts the GitHub REST operations `llmbench report` calls (with every schema, parameter and response they
 * reference) from the @octokit/openapi package into a small committed fixture, so tests validate requests
 * against GitHub's real description without a 400 MB dependency.
 *
 *   mkdir -p /tmp/ghapi && cd /tmp/ghapi && npm init -y && npm install @octokit/openapi@23.0.2
 *   npx tsx test/fakes/github/extract-openapi.ts /tmp/ghapi/node_modules/@octokit/openapi
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The operations the report step uses; add one here and re-run when the client starts calling another. */
export const OPERATIONS = [
  'issues/list-comments',
  'issues/create-comment',
  'issues/update-comment',
  'repos/create-commit-status',
  'checks/create',
  'git/get-ref',
  'git/create-ref',
  'git/update-ref',
  'git/get-commit',
  'git/create-blob',
  'git/create-tree',
  'git/create-commit',
];

type Json = Record<string, unknown>;

function main(pkgDir: string, out: string): void {
  const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { name: string; version: string };
  const doc = JSON.parse(readFileSync(path.join(pkgDir, 'generated', 'api.github.com.json'), 'utf8')) as Json;
  const paths: Record<string, Record<string, Json>> = {};
  const found = new Set<string>();
  for (const [p, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    for (const [method, op] of Object.entries(ops)) {
      if (typeof op !== 'object' || !OPERATIONS.includes(op.operationId as string)) continue;
      found.add(op.operationId as string);
      // Examples are bulky and not needed for validation; drop them (and path-level examples).
      paths[p] = { ...(paths[p] ?? {}), [method]: stripExamples(op) as Json };
    }
  }
  const missing = OPERATIONS.filter((o) => !found.has(o));
  if (missing.length) throw new Error(`operations not in the description: ${missing.join(', ')}`);

  // Walk $refs transitively and copy only what is referenced.
  const components: Record<string, Record<string, unknown>> = {};
  const queue: unknown[] = [paths];
  const seen = new Set<string>();
  while (queue.length) {
    const node = queue.pop();
    if (Array.isArray(node)) queue.push(...node);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/')) {
          if (seen.has(v)) continue;
          seen.add(v);
          const [, , kind, name] = v.split('/');
          const target = stripExamples(((doc.components as Json)[kind] as Json)[name]);
          (components[kind] ??= {})[name] = target;
          queue.push(target);
        } else queue.push(v);
      }
    }
  }
  for (const kind of Object.keys(components))
    components[kind] = Object.fromEntries(Object.entries(components[kind]).sort(([a], [b]) => a.localeCompare(b)));
  const subset = {
    openapi: doc.openapi,
    info: { title: 'GitHub REST subset used by llmbench report', version: (doc.info as Json).version },
    'x-extracted-from': {
      package: pkg.name,
      version: pkg.version,
      file: 'generated/api.github.com.json',
      operations: OPERATIONS,
    },
    paths,
    components,
  };
  writeFileSync(out, JSON.stringify(subset, null, 1) + '\n');
  console.log(`wrote ${out}: ${OPERATIONS.length} operations, ${seen.size} components from ${pkg.name}@${pkg.version}`);
}

function stripExamples(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripExamples);
  if (v && typeof v === 'object') {
    const o: Json = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'examples' && k !== 'example') o[k] = stripExamples(x);
    return o;
  }
  return v;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const pkgDir = process.argv[2];
if (!pkgDir) {
  console.error('usage: tsx test/fakes/github/extract-openapi.ts <path to node_modules/@octokit/openapi>');
  process.exitCode = 2;
} else {
  main(pkgDir, path.resolve(here, '..', '..', 'fixtures', 'github', 'openapi-subset.json'));
}
