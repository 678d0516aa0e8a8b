import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { SCHEMAS_DIR } from './paths.js';
import { InvalidInputError, type Problem, problemCount } from './errors.js';

/** Names of the schemas in schemas/ (file `<name>.schema.json`). */
export type SchemaName =
  | 'bench-config'
  | 'sample'
  | 'sweep-summary'
  | 'analysis-summary'
  | 'verdict'
  | 'baseline'
  | 'deploy-report'
  | 'stats'
  | (string & {});

let ajvInstance: Ajv | undefined;
const compiled = new Map<string, ValidateFunction>();

export function listSchemaFiles(dir = SCHEMAS_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.schema.json'))
    .sort();
}

function ajv(): Ajv {
  if (ajvInstance) return ajvInstance;
  const a = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  (addFormatsModule as unknown as { default: (a: Ajv) => void }).default(a);
  for (const f of listSchemaFiles()) {
    a.addSchema(JSON.parse(readFileSync(path.join(SCHEMAS_DIR, f), 'utf8')));
  }
  ajvInstance = a;
  return a;
}

function validator(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) {
    const schema = ajv().getSchema(`https://llmbench.dev/schemas/${name}.schema.json`);
    if (!schema) throw new Error(`unknown schema ${name}`);
    v = schema;
    compiled.set(name, v);
  }
  return v;
}

/** Turns ajv errors into problems whose path points at the offending key (not its parent). */
export function toProblems(errors: ErrorObject[] | null | undefined): Problem[] {
  const out: Problem[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    // oneOf/anyOf/if wrappers repeat what their branches said; keep the specific messages.
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'allOf' || e.keyword === 'if') continue;
    let p = e.instancePath;
    let message = e.message ?? 'is invalid';
    if (e.keyword === 'additionalProperties') {
      p = `${p}/${(e.params as { additionalProperty: string }).additionalProperty}`;
      message = 'unknown key (not allowed here)';
    } else if (e.keyword === 'required') {
      p = `${p}/${(e.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
    } else if (e.keyword === 'enum') {
      message = `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    } else if (e.keyword === 'const') {
      message = `must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
    } else if (e.keyword === 'not' && e.schemaPath.includes('/load/')) {
      message = 'set either requests or duration_s, not both';
    }
    const key = `${p}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path: p, message });
  }
  return out;
}

/** Validates data against a schema and returns every problem (empty when valid). */
export function validate(name: SchemaName, data: unknown): Problem[] {
  const v = validator(name);
  return v(data) ? [] : toProblems(v.errors);
}

/** Validates and throws an InvalidInputError (exit 2) listing every problem. */
export function assertValid<T>(name: SchemaName, data: unknown, what: string, file?: string): T {
  const problems = validate(name, data).map((p) => ({ ...p, file }));
  if (problems.length) {
    throw new InvalidInputError(
      'schema-invalid',
      `${what} does not match schemas/${name}.schema.json (${problemCount(problems.length)})`,
      {
        problems,
        hint: `Fix the listed fields; the schema describes each one (schemas/${name}.schema.json).`,
      },
    );
  }
  return data as T;
}
