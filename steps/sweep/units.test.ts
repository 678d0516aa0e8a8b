import { describe, expect, it } from '@jest/globals';
import { arrivalGaps, gammaSample } from './arrivals.js';
import { normalize, parsePrometheus } from './scrape.js';
import { SERVERS } from '../servers/index.js';
import { rng } from '../workload/workload.js';
import { planPoints } from './sweep.js';

const meanCv = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return [m, sd / m];
};

describe('arrivals', () => {
  it('Poisson gaps: mean 1/rate, coefficient of variation 1', () => {
    const g = arrivalGaps(4, 'poisson', 1, 1);
    const [m, cv] = meanCv(Array.from({ length: 20000 }, g));
    expect(m).toBeCloseTo(0.25, 2);
    expect(cv).toBeCloseTo(1, 1);
  });
  it('gamma burstiness: same mean, CV = 1/sqrt(shape)', () => {
    for (const shape of [0.25, 0.5, 4]) {
      const [m, cv] = meanCv(Array.from({ length: 40000 }, arrivalGaps(2, 'gamma', shape, 9)));
      expect(Math.abs(m - 0.5) / 0.5).toBeLessThan(0.04);
      expect(Math.abs(cv - 1 / Math.sqrt(shape)) / (1 / Math.sqrt(shape))).toBeLessThan(0.06);
    }
  });
  it('constant gaps and seeded determinism', () => {
    expect(arrivalGaps(5, 'constant', 1, 1)()).toBe(0.2);
    const a = arrivalGaps(3, 'gamma', 0.5, 11);
    const b = arrivalGaps(3, 'gamma', 0.5, 11);
    expect(Array.from({ length: 50 }, a)).toEqual(Array.from({ length: 50 }, b));
    expect(gammaSample(2, rng(1))).toBeGreaterThan(0);
  });
});

describe('load points', () => {
  it('one point per concurrency or rate; max-throughput is one point capped by the largest concurrency', () => {
    expect(planPoints({ concurrency: [1, 4] })).toEqual([
      { concurrency: 1, rate: null },
      { concurrency: 4, rate: null },
    ]);
    expect(planPoints({ mode: 'rate', rate: [0.5, 2] })).toEqual([
      { concurrency: null, rate: 0.5 },
      { concurrency: null, rate: 2 },
    ]);
    expect(planPoints({ mode: 'max-throughput', concurrency: [8, 64], requests: 500 })).toEqual([
      { concurrency: 64, rate: null },
    ]);
    expect(planPoints({ mode: 'max-throughput', requests: 500 })).toEqual([{ concurrency: 500, rate: null }]);
  });
});

describe('Prometheus scrape', () => {
  it('parses the text format and normalizes vLLM, TGI and Triton names', () => {
    const vllm = parsePrometheus(
      '# HELP vllm:num_requests_running Number of requests\n# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name="m",engine="0"} 7.0\nvllm:num_requests_waiting{model_name="m"} 2\nvllm:gpu_cache_usage_perc{model_name="m"} 0.42\n',
    );
    expect(vllm[0]).toEqual({ name: 'vllm:num_requests_running', labels: { model_name: 'm', engine: '0' }, value: 7 });
    expect(normalize(vllm, SERVERS.vllm.metrics.names)).toEqual({ running: 7, waiting: 2, kv_cache_usage: 0.42 });
    const tgi = parsePrometheus(
      'tgi_batch_current_size 12\ntgi_queue_size 3\ntgi_request_duration_bucket{le="+Inf"} 5\n',
    );
    expect(normalize(tgi, SERVERS.tgi.metrics.names)).toEqual({ running: 12, waiting: 3 });
    const triton = parsePrometheus(
      'nv_inference_pending_request_count{model="mistral",version="1"} 4 1700000000000\nnv_gpu_utilization{gpu_uuid="GPU-1"} 0.9\nvllm:num_requests_running{model="mistral",version="1"} 6\nvllm:kv_cache_usage_perc{model="mistral",version="1"} 0.3\nweird_metric{a="x\\"y"} NaN\n',
    );
    // nv_inference_pending_request_count is not the engine queue (the decoupled backend returns at once): the
    // waiting count comes from the backend's vllm:num_requests_waiting, absent here, so it is unavailable.
    expect(normalize(triton, SERVERS.triton.metrics.names)).toEqual({
      running: 6,
      kv_cache_usage: 0.3,
      gpu_utilization: 0.9,
    });
    expect(triton.find((s) => s.name === 'weird_metric')?.labels.a).toBe('x"y');
  });
});
