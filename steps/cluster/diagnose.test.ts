import { describe, expect, test } from '@jest/globals';
import { diagnose, type DiagnoseInput } from './diagnose.js';
import type { KObject } from './objects.js';

const pod = (status: Record<string, unknown>): KObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'p1', namespace: 'ns' },
  status,
});
const base = (over: Partial<DiagnoseInput>): DiagnoseInput => ({
  deployment: null,
  pods: [],
  events: [],
  logs: {},
  unschedulableForS: {},
  pendingTimeoutS: 60,
  deadline: false,
  timeoutS: 100,
  ...over,
});
/** A Pending pod the scheduler could not place, with the scheduler's message. */
const unschedulable = (message: string) =>
  pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message }] });
const crashing = (message?: string) =>
  pod({
    containerStatuses: [
      {
        name: 'server',
        ready: false,
        restartCount: 4,
        state: { waiting: { reason: 'CrashLoopBackOff' } },
        lastState: { terminated: { reason: 'Error', exitCode: 1, message } },
      },
    ],
  });

describe('diagnose', () => {
  test('CUDA out of memory in the log is a GPU OOM, not a generic crash', () => {
    const d = diagnose(
      base({
        pods: [crashing()],
        logs: { p1: 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB' },
      }),
    );
    expect(d).toMatchObject({ code: 'gpu-out-of-memory', terminal: true });
    expect(d!.hint).toMatch(/gpu_memory_utilization/);
  });

  test('a quota refusal (ReplicaFailure FailedCreate, not the SCC) is replica-failure with the quota message', () => {
    const dep: KObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      status: {
        conditions: [
          {
            type: 'ReplicaFailure',
            status: 'True',
            reason: 'FailedCreate',
            message:
              'pods "d-1" is forbidden: exceeded quota: gpu, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=1, limited: requests.nvidia.com/gpu=1',
          },
        ],
      },
    };
    const d = diagnose(base({ deployment: dep }));
    expect(d).toMatchObject({ code: 'replica-failure', terminal: true });
    expect(d!.message).toContain('exceeded quota');
  });

  test('a GPU-pending pod is not a failure until the pending timeout', () => {
    const pending = unschedulable('0/2 nodes are available: 2 Insufficient amd.com/gpu.');
    expect(diagnose(base({ pods: [pending], unschedulableForS: { p1: 10 } }))).toBeNull();
    const d = diagnose(base({ pods: [pending], unschedulableForS: { p1: 61 } }));
    expect(d).toMatchObject({ code: 'gpu-unschedulable' });
    expect(d!.message).toContain('amd.com/gpu');
  });

  test('unschedulable for another reason says so without blaming the GPU', () => {
    const pending = unschedulable('0/2 nodes are available: 2 Insufficient memory.');
    expect(diagnose(base({ pods: [pending], deadline: true }))).toMatchObject({ code: 'unschedulable' });
  });

  test('a running, not-yet-ready pod before the deadline is no diagnosis; at the deadline it is a timeout with its state', () => {
    const loading = pod({
      phase: 'Running',
      containerStatuses: [{ name: 'server', ready: false, restartCount: 0, state: { running: {} } }],
    });
    const dep: KObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, status: {} };
    expect(diagnose(base({ deployment: dep, pods: [loading] }))).toBeNull();
    expect(
      diagnose(base({ deployment: dep, pods: [loading], deadline: true, logs: { p1: 'INFO loading weights' } })),
    ).toMatchObject({ code: 'not-ready-timeout' });
  });
});
