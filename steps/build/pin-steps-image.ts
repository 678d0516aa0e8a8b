/**
 * One place for the steps image: tekton/steps-image holds the reference (REPOSITORY@sha256:DIGEST) the
 * bootstrap (tekton/bootstrap/steps-image.yaml) or `npm run image:steps` pushed; every Task, the Pipeline's
 * CronJobs and .tekton/ carry exactly that reference. Tasks are static files (Pipelines-as-Code inlines them as
 * they are), so they hold a generated copy and a test fails when a copy drifts or the digest was never built.
 *
 *   npm run pin:steps-image                       rewrite every reference from tekton/steps-image
 *   npm run pin:steps-image -- REPO@sha256:D      record a new pin (from the bootstrap's results), then rewrite
 *   npm run pin:steps-image -- --check            exit 1 listing every reference that differs
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../core/paths.js';

export const PIN_FILE = path.join(REPO_ROOT, 'tekton', 'steps-image');
export const BUILDS_FILE = path.join(REPO_ROOT, 'docker', 'steps', 'builds.ndjson');
/** A steps image reference anywhere in a YAML file: any registry/repository ending in llmbench-steps, by digest. */
export const STEPS_REF = /[A-Za-z0-9.:_/-]*llmbench-steps@sha256:[0-9a-f]{64}/g;
const PIN_SHAPE = /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*\/llmbench-steps@sha256:[0-9a-f]{64}$/;

export interface BuildRecord {
  digest: string;
  built_at: string;
  size: string;
  build_seconds: number;
  pushed_to: string;
}

export function readPin(file = PIN_FILE): string {
  const pin = readFileSync(file, 'utf8').trim();
  if (!PIN_SHAPE.test(pin)) throw new Error(`${file}: '${pin}' is not REPOSITORY/llmbench-steps@sha256:<64 hex>`);
  return pin;
}

export function readBuilds(file = BUILDS_FILE): BuildRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      const r = JSON.parse(l) as BuildRecord;
      if (!/^sha256:[0-9a-f]{64}$/.test(r.digest))
        throw new Error(`${file}:${i + 1}: digest '${r.digest}' is malformed`);
      return r;
    });
}

/** Every YAML file that may reference the steps image. */
export function tektonFiles(root = REPO_ROOT): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) out.push(p);
    }
  };
  walk(path.join(root, 'tekton'));
  walk(path.join(root, '.tekton'));
  return out.sort();
}

/** References that differ from the pin, as "file:line: ref". */
export function drift(pin: string, files = tektonFiles()): string[] {
  const out: string[] = [];
  for (const f of files) {
    readFileSync(f, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(STEPS_REF))
          if (m[0] !== pin) out.push(`${path.relative(REPO_ROOT, f)}:${i + 1}: ${m[0]}`);
      });
  }
  return out;
}

/** The digest of a pin must be one a build produced (docker/steps/builds.ndjson), never a made-up one. */
export function unbuilt(pin: string, builds: BuildRecord[]): string | null {
  const digest = pin.slice(pin.indexOf('@') + 1);
  return builds.some((b) => b.digest === digest)
    ? null
    : `${digest} was produced by no recorded build (docker/steps/builds.ndjson)`;
}

export function rewrite(pin: string, files = tektonFiles()): string[] {
  const changed: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const next = text.replace(STEPS_REF, pin);
    if (next !== text) {
      writeFileSync(f, next);
      changed.push(path.relative(REPO_ROOT, f));
    }
  }
  return changed;
}

function main(argv: string[]): number {
  if (argv[0] === '--check') {
    const pin = readPin();
    const problems = [...drift(pin), ...[unbuilt(pin, readBuilds())].filter((p): p is string => p !== null)];
    for (const p of problems) process.stderr.write(`${p}\n`);
    return problems.length ? 1 : 0;
  }
  if (argv[0]) {
    if (!PIN_SHAPE.test(argv[0])) {
      process.stderr.write(`'${argv[0]}' is not REPOSITORY/llmbench-steps@sha256:<64 hex>\n`);
      return 2;
    }
    writeFileSync(PIN_FILE, `${argv[0]}\n`);
  }
  const changed = rewrite(readPin());
  process.stdout.write(
    `pinned ${readPin()} in ${changed.length} file(s)${changed.length ? ': ' + changed.join(', ') : ''}\n`,
  );
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname))
  process.exitCode = main(process.argv.slice(2));
