/**
 * Validators for component schemas of the published OpenAPI documents in test/fixtures/specs. OpenAPI 3.1 documents
 * are JSON Schema 2020-12 (Ajv2020); 3.0 ones get `nullable` rewritten to a null alternative first. Each
 * document is registered once under its file name, so `$ref: '#/components/schemas/X'` resolves in place.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import AjvDraft7 from 'ajv';
import type { ValidateFunction } from 'ajv';
import { SPECS_DIR } from '../specs-dir.js';

export { SPECS_DIR };

type Node = Record<string, unknown>;

/** OpenAPI 3.0 → JSON Schema: `nullable: true` becomes anyOf [schema, null]. */
function denullable(n: unknown): unknown {
  if (Array.isArray(n)) return n.map(denullable);
  if (!n || typeof n !== 'object') return n;
  const o: Node = {};
  for (const [k, v] of Object.entries(n as Node)) o[k] = k === 'example' || k === 'examples' ? v : denullable(v);
  if (o.nullable === true) {
    delete o.nullable;
    return { anyOf: [o, { type: 'null' }] };
  }
  delete o.nullable;
  return o;
}

const docs = new Map<string, { ajv: { getSchema(ref: string): ValidateFunction | undefined } }>();

function load(file: string) {
  let d = docs.get(file);
  if (d) return d;
  const text = readFileSync(path.join(SPECS_DIR, file), 'utf8');
  const doc = (file.endsWith('.json') ? JSON.parse(text) : yaml.load(text)) as Node;
  const v31 = String(doc.openapi ?? '').startsWith('3.1');
  const components = { components: { schemas: (doc.components as Node).schemas } };
  const formats = {
    int32: true,
    int64: true,
    float: true,
    double: true,
    uri: true,
    binary: true,
    'date-time': true,
    byte: true,
    uint32: true,
    uint64: true,
    email: true,
    password: true,
    unixtime: true,
  } as const;
  const opts = { strict: false, allErrors: true, validateFormats: true, formats, discriminator: false } as const;
  const Ctor = (v31 ? Ajv2020 : AjvDraft7) as unknown as new (o: object) => {
    addSchema(s: object, key: string): void;
    getSchema(ref: string): ValidateFunction | undefined;
  };
  const ajv = new Ctor(opts);
  // OpenAI's 3.1 document still carries some 3.0-style `nullable`; both get the same rewrite.
  ajv.addSchema(denullable(components) as object, file);
  d = { ajv };
  docs.set(file, d);
  return d;
}

/** A validator for `components/schemas/<name>` of a spec file. */
export function componentValidator(file: string, name: string): ValidateFunction {
  const v = load(file).ajv.getSchema(`${file}#/components/schemas/${name}`);
  if (!v) throw new Error(`no schema ${name} in ${file}`);
  return v;
}

/** Throws with ajv's errors when `data` does not match. */
export function assertMatches(file: string, name: string, data: unknown): void {
  const v = componentValidator(file, name);
  if (!v(data))
    throw new Error(`${file} ${name}: ${JSON.stringify(v.errors?.slice(0, 5))}\n${JSON.stringify(data).slice(0, 500)}`);
}
