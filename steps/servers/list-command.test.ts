import { describe, expect, test } from '@jest/globals';
import { main } from '../cli.js';
import { SERVERS, SERVER_NAMES } from './index.js';

async function cli(argv: string[]) {
  let out = '';
  const code = await main({ argv, stdout: (s) => (out += s), stderr: () => {}, env: {} });
  return { code, out };
}

describe('llmbench servers', () => {
  // The nightly TriggerTemplate's `backend` description pointed at `llmbench servers` before the command existed.
  test('lists every registered server with its pinned version and default API first, as a table and as JSON', async () => {
    const json = await cli(['servers', '--json']);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.out) as { name: string; version: string; apis: string[]; image: string | null }[];
    expect(rows.map((r) => r.name)).toEqual(SERVER_NAMES);
    for (const r of rows) {
      const s = SERVERS[r.name as keyof typeof SERVERS];
      expect([r.name, r.version, r.apis[0], r.image]).toEqual([
        r.name,
        s.version,
        s.adapter.apis[0],
        s.container.images.nvidia,
      ]);
    }
    const table = await cli(['servers']);
    const lines = table.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME +VERSION +APIS/);
    expect(lines.slice(1).map((l) => l.split(/ +/).slice(0, 2))).toEqual(rows.map((r) => [r.name, r.version]));
  });
});
