/**
 * Generates TypeScript types from schemas/ (the single source of truth) into steps/core/types/.
 * `npm run gen:types` writes them; steps/core/types.test.ts fails when the checked-in files drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { SCHEMAS_DIR } from './paths.js';
import { listSchemaFiles } from './schemas.js';

export const TYPES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'types');

export function typeFileName(schemaFile: string): string {
  return schemaFile.replace(/\.schema\.json$/, '.ts');
}

export async function generateTypes(): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of listSchemaFiles()) {
    const schema = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, f), 'utf8')) as JSONSchema;
    const ts = await compile(schema, schema.title ?? f, {
      cwd: SCHEMAS_DIR,
      bannerComment: `/* Generated from schemas/${f} by \`npm run gen:types\`. Do not edit: change the schema and regenerate. */`,
      additionalProperties: false,
      strictIndexSignatures: false,
      declareExternallyReferenced: true,
      unreachableDefinitions: false,
      format: true,
      style: { singleQuote: true, printWidth: 120 },
      $refOptions: { resolve: { http: false } as never },
    });
    out.set(typeFileName(f), ts);
  }
  return out;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = await generateTypes();
  for (const [name, content] of files) writeFileSync(path.join(TYPES_DIR, name), content);
  console.log(`wrote ${files.size} type files to ${path.relative(process.cwd(), TYPES_DIR)}`);
}
