import { describe, expect, it } from '@jest/globals';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { generateTypes, TYPES_DIR } from './gen-types.js';
import { listSchemaFiles } from './schemas.js';

// schemas/ is the source of truth: the checked-in types must be exactly what the generator makes from it.
describe('generated types', () => {
  it('match schemas/ (run `npm run gen:types` after changing a schema)', async () => {
    const generated = await generateTypes();
    expect([...generated.keys()].sort()).toEqual(
      listSchemaFiles()
        .map((f) => f.replace(/\.schema\.json$/, '.ts'))
        .sort(),
    );
    const drifted: string[] = [];
    for (const [name, content] of generated) {
      const file = path.join(TYPES_DIR, name);
      if (!existsSync(file) || readFileSync(file, 'utf8') !== content) drifted.push(name);
    }
    expect(drifted).toEqual([]);
  }, 120_000);
});
