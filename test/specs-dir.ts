import path from 'node:path';
import { REPO_ROOT } from '../steps/core/paths.js';

/**
 * The published schemas the tests validate against, vendored byte-for-byte with provenance in
 * test/fixtures/specs/SOURCES.md, so `npm test` needs nothing beside the checkout. LLMBENCH_SPECS_DIR overrides.
 */
export const SPECS_DIR = process.env.LLMBENCH_SPECS_DIR ?? path.join(REPO_ROOT, 'test', 'fixtures', 'specs');
