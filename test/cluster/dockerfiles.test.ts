/**
 * Static checks of docker/: what a reviewer would look for and no tool here can build (no registry access
 * for the CUDA base images): the HF token only as a build secret, non-root users, the steps image's shape.
 */
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../../steps/core/paths.js';
import { SERVERS, SERVER_NAMES } from '../../steps/servers/index.js';

const read = (f: string) => readFileSync(path.join(REPO_ROOT, 'docker', f), 'utf8');
/** Instructions with continuation lines joined and comments dropped. */
const instructions = (text: string) =>
  text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

describe('server images', () => {
  test.each(SERVER_NAMES)(
    '%s: model downloaded with the token as a build secret only; non-root; offline at runtime',
    (b) => {
      const ins = instructions(read(`${b}/Dockerfile`));
      // The default base is the server's pinned upstream image (steps/servers/<name>/index.ts).
      expect(ins.find((i) => i.startsWith('ARG BASE_IMAGE='))).toBe(
        `ARG BASE_IMAGE=${SERVERS[b].container.images.nvidia}`,
      );
      expect(SERVERS[b].dockerfile).toBe(`docker/${b}/Dockerfile`);
      // Never an ARG/ENV/LABEL carrying a token (those persist in the image config or history).
      for (const i of ins) if (/^(ARG|ENV|LABEL)\b/.test(i)) expect(i).not.toMatch(/TOKEN/i);
      const download = ins.find((i) => i.startsWith('RUN') && i.includes('download_model.py'));
      expect(download).toMatch(/--mount=type=secret,id=hf_token/);
      expect(download).not.toMatch(/HF_TOKEN=|echo|>\s*\S*token/i);
      expect(ins.findLast((i) => i.startsWith('USER'))).toMatch(/^USER [1-9][0-9]*$/);
      expect(ins.some((i) => /^ENV .*HF_HUB_OFFLINE=1/.test(i))).toBe(true);
      expect(ins.some((i) => /chgrp -R 0 \/models/.test(i))).toBe(true);
    },
  );

  test('the download script reads the secret file and never writes the token', () => {
    const py = read('common/download_model.py');
    expect(py).toContain('/run/secrets/hf_token');
    expect(py).not.toMatch(/login\(|save_token|HfFolder|write\(/);
  });
});

describe('steps image', () => {
  test('multi-stage, fonts for rendering, non-root, llmbench entrypoint', () => {
    const ins = instructions(read('steps/Dockerfile'));
    expect(ins.filter((i) => i.startsWith('FROM'))).toHaveLength(2);
    expect(ins.some((i) => i.startsWith('RUN') && i.includes('fonts-dejavu-core'))).toBe(true);
    expect(ins.findLast((i) => i.startsWith('USER'))).toMatch(/^USER [1-9][0-9]*$/);
    expect(ins.at(-1)).toBe('ENTRYPOINT ["llmbench"]');
    // Only the built app crosses into the runtime stage (no compilers, no dev dependencies).
    expect(ins.filter((i) => i.startsWith('COPY --from='))).toEqual(['COPY --from=build /app /app']);
    expect(ins.some((i) => /npm prune --omit=dev/.test(i))).toBe(true);
  });
});
