/**
 * Writes the finding-code enum of schemas/verdict.schema.json from the table in steps/core/findings.ts (the one
 * place a code is declared). Run by `npm run gen:types` before the types are generated; findings.test.ts fails when
 * the schema drifts from the table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SCHEMAS_DIR } from './paths.js';
import { FINDINGS, FINDING_CODES } from './findings.js';

export const VERDICT_SCHEMA = path.join(SCHEMAS_DIR, 'verdict.schema.json');

/** The `code` property of a verdict finding, as the table defines it. */
export function findingCodeSchema(): { type: 'string'; enum: string[]; description: string } {
  return {
    type: 'string',
    enum: [...FINDING_CODES],
    description: `Stable finding code, generated from steps/core/findings.ts (severity, what it blocks, whether it keeps a run out of baselines, message template): ${FINDING_CODES.map((c) => `${c} (${FINDINGS[c].title})`).join(', ')}.`,
  };
}

/** JSON as the schemas are committed: two-space indent, non-ASCII escaped. */
export function schemaText(doc: unknown): string {
  return (
    JSON.stringify(doc, null, 2).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    ) + '\n'
  );
}

export function withFindingCodes(schema: { definitions: { finding: { properties: Record<string, unknown> } } }) {
  schema.definitions.finding.properties.code = findingCodeSchema();
  return schema;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const doc = withFindingCodes(JSON.parse(readFileSync(VERDICT_SCHEMA, 'utf8')));
  writeFileSync(VERDICT_SCHEMA, schemaText(doc));
  console.log(`wrote ${FINDING_CODES.length} finding codes to ${path.relative(process.cwd(), VERDICT_SCHEMA)}`);
}
