import { describe, expect, it } from '@jest/globals';
import { request } from 'undici';
import { spawnSimulator, simFlags } from './process.js';
import { simOptionsFromFlags } from './command.js';
import { Command } from 'commander';
import { command } from './command.js';
import { InvalidInputError } from '../core/errors.js';

describe('simulator in its own process', () => {
  it('flags round-trip through the sim command parser', () => {
    const opts = {
      backend: 'tgi' as const,
      port: 0,
      gpu: 'h100-80gb',
      seed: 7,
      timeScale: 4,
      model: 'm',
      faults: { error_rate: 0.1, slowdown: 1.05, crash_after_requests: 9 },
    };
    const cmd = new Command('sim').exitOverride();
    command.configure(cmd);
    cmd.parse(simFlags(opts).slice(1), { from: 'user' });
    const back = simOptionsFromFlags(cmd.opts());
    expect(back).toMatchObject({
      backend: 'tgi',
      port: 0,
      gpu: 'h100-80gb',
      seed: 7,
      timeScale: 4,
      model: 'm',
      faults: opts.faults,
    });
  });

  it('starts, serves its dialect, and stops on close', async () => {
    const sim = await spawnSimulator({ backend: 'vllm', timeScale: 5 });
    try {
      const res = await request(`${sim.url}/v1/models`);
      expect(res.statusCode).toBe(200);
      expect(((await res.body.json()) as { data: { id: string }[] }).data[0].id).toBe('mistral');
    } finally {
      await sim.close();
    }
    expect(() => process.kill(sim.pid, 0)).toThrow();
  }, 60_000);

  it('bad options are invalid input, before any process starts', async () => {
    await expect(spawnSimulator({ backend: 'vllm', timeScale: -1 })).rejects.toBeInstanceOf(InvalidInputError);
  });
});
