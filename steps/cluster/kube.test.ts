/**
 * KubeClient against the fake API server: what the watch sees of a change that came between a read and the watch.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeClient, loadKubeConfig } from './kube.js';
import { silentLogger } from '../core/log.js';
import { startFakeKube, type FakeKube } from '../../test/fakes/k8s/server.js';

let fake: FakeKube | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function connect(): Promise<{ kube: FakeKube; client: KubeClient }> {
  const kube = await startFakeKube({ deleteDelayMs: 0 });
  fake = kube;
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'llmbench-kube-')), 'kubeconfig');
  writeFileSync(file, kube.kubeconfig());
  const { kc } = loadKubeConfig({ kubeconfig: file, env: {} });
  return { kube, client: new KubeClient(kc, silentLogger, { attempts: 1, baseMs: 1, maxMs: 1 }) };
}

/** Reads the namespace, then has it deleted (and gone) before any watch starts: the race teardown met. */
async function readThenDeleted(kube: FakeKube, client: KubeClient): Promise<string> {
  kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'doomed' } });
  const live = await client.get('Namespace', undefined, 'doomed');
  await client.delete(live!, 'Foreground');
  for (const t0 = Date.now(); kube.get('Namespace', undefined, 'doomed'); await sleep(5))
    if (Date.now() - t0 > 5000) throw new Error('the fake never removed the namespace');
  return String(live!.metadata.resourceVersion);
}

describe('watchUntil', () => {
  // Regression (Tekton harness, 2026-12-07): teardown read an object, the deletion landed, then the watch started
  // "at most recent" and saw nothing — each TaskRun's teardown sat out its 8 s poll.
  test('a deletion between the read and the watch is replayed from the read’s resourceVersion', async () => {
    const { kube, client } = await connect();
    const rv = await readThenDeleted(kube, client);
    const t0 = Date.now();
    expect(await client.watchUntil('Namespace', undefined, 'doomed', (type) => type === 'DELETED', 5000, rv)).toBe(
      true,
    );
    expect(Date.now() - t0).toBeLessThan(2500);
  });

  test('without a resourceVersion the watch starts at the most recent state and misses it (why teardown passes one)', async () => {
    const { kube, client } = await connect();
    await readThenDeleted(kube, client);
    expect(await client.watchUntil('Namespace', undefined, 'doomed', (type) => type === 'DELETED', 300)).toBe(false);
  });

  test('a resourceVersion older than the watch cache ends the watch (410 Expired), it does not hang', async () => {
    const { client } = await connect();
    const t0 = Date.now();
    expect(await client.watchUntil('Namespace', undefined, 'x', (type) => type === 'ERROR', 5000, '-5')).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2500);
  });
});
