// Simulated nodes steered by sim.kujira.io/* annotations, seen through the real kubectl,
// against `kujira up --runtime simulated` (one simulated node, scheduler and metrics in-process).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { core } from '../../src/api/types.js';
import { eventually, TestCluster } from '../support/cluster.js';

let cluster: TestCluster;

function podJson(name: string, annotations: Record<string, string>, spec: Partial<core.PodSpec> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, annotations },
    spec: { containers: [{ name: 'app', image: 'nginx' }], ...spec },
  });
}

async function pod(name: string): Promise<core.Pod> {
  return JSON.parse(await cluster.k(['get', 'pod', name, '-o', 'json'])) as core.Pod;
}

/** The STATUS column of `kubectl get pod NAME`. */
async function statusColumn(name: string): Promise<string> {
  const out = await cluster.k(['get', 'pod', name, '--no-headers']);
  return out.trim().split(/\s+/)[2] ?? '';
}

const ready = (p: core.Pod): string | undefined => p.status?.conditions?.find((c) => c.type === 'Ready')?.status;

before(async () => {
  cluster = await TestCluster.start({ extraArgs: ['--controllers=*', '--runtime', 'simulated', '--metric-resolution', '1s'], timeoutMs: 30_000 });
  await eventually(async () => /^kujira-sim-1\s+Ready\s/m.test(await cluster.k(['get', 'nodes', '--no-headers'])), 'node Ready', 30_000);
});

after(async () => {
  await cluster?.dispose();
});

describe('sim.kujira.io annotations', () => {
  it('start-latency: ContainerCreating first, Running after the latency', async () => {
    await cluster.k(['create', '-f', '-'], { input: podJson('slow', { 'sim.kujira.io/start-latency': '2s' }) });
    await eventually(async () => (await statusColumn('slow')) === 'ContainerCreating', 'ContainerCreating');
    const p = await pod('slow');
    assert.equal(p.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
    await eventually(async () => (await statusColumn('slow')) === 'Running', 'Running');
  });

  it('ready-after: Running but 0/1 until the delay, then 1/1', async () => {
    await cluster.k(['create', '-f', '-'], { input: podJson('warming', { 'sim.kujira.io/ready-after': '2s' }) });
    const p = await eventually(async () => {
      const x = await pod('warming');
      return x.status?.phase === 'Running' ? x : undefined;
    }, 'running');
    assert.equal(ready(p), 'False');
    await eventually(async () => ready(await pod('warming')) === 'True', 'ready', 10_000);
    assert.match(await cluster.k(['get', 'pod', 'warming', '--no-headers']), /1\/1\s+Running/);
  });

  it('never-ready stays 0/1 Running', async () => {
    await cluster.k(['create', '-f', '-'], { input: podJson('sulky', { 'sim.kujira.io/never-ready': 'true' }) });
    await eventually(async () => (await pod('sulky')).status?.phase === 'Running', 'running');
    assert.match(await cluster.k(['get', 'pod', 'sulky', '--no-headers']), /0\/1\s+Running/);
  });

  it('fail-liveness-after: restarts, then CrashLoopBackOff', async () => {
    await cluster.k(['create', '-f', '-'], { input: podJson('flaky', { 'sim.kujira.io/fail-liveness-after': '1s' }) });
    const p = await eventually(async () => {
      const x = await pod('flaky');
      return x.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? x : undefined;
    }, 'CrashLoopBackOff', 15_000);
    const cs = p.status!.containerStatuses![0]!;
    assert.equal(cs.restartCount, 1);
    assert.equal(cs.lastState?.terminated?.exitCode, 137);
    assert.equal(await statusColumn('flaky'), 'CrashLoopBackOff');
  });

  it('exit-after with restartPolicy Never: Completed on 0, Error on 1', async () => {
    await cluster.k(['create', '-f', '-'], { input: podJson('job-ok', { 'sim.kujira.io/exit-after': '1s', 'sim.kujira.io/exit-code': '0' }, { restartPolicy: 'Never' }) });
    await cluster.k(['create', '-f', '-'], { input: podJson('job-bad', { 'sim.kujira.io/exit-after': '1s', 'sim.kujira.io/exit-code': '1' }, { restartPolicy: 'Never' }) });
    await eventually(async () => (await pod('job-ok')).status?.phase === 'Succeeded', 'Succeeded');
    await eventually(async () => (await pod('job-bad')).status?.phase === 'Failed', 'Failed');
    assert.equal(await statusColumn('job-ok'), 'Completed');
    assert.equal(await statusColumn('job-bad'), 'Error');
  });

  it('cpu and memory annotations show in kubectl top', async () => {
    await cluster.k(['create', '-f', '-'], { input: podJson('busy', { 'sim.kujira.io/cpu': '900m', 'sim.kujira.io/memory': '200Mi' }) });
    await eventually(async () => (await pod('busy')).status?.phase === 'Running', 'running');
    const top = await eventually(async () => {
      const r = await cluster.kubectl(['top', 'pod', 'busy', '--no-headers']);
      return r.code === 0 ? r.stdout : undefined;
    }, 'kubectl top pod', 20_000);
    assert.match(top, /^busy\s+900m\s+200Mi\s*$/m);
    const nodeTop = await cluster.k(['top', 'node', '--no-headers']);
    assert.match(nodeTop, /^kujira-sim-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/m);
  });

  it('graceful deletion: the node removes the pod after its containers stop', async () => {
    await eventually(async () => (await pod('sulky')).status?.phase === 'Running', 'running');
    const t0 = Date.now();
    await cluster.k(['delete', 'pod', 'sulky', '--wait=true']);
    // min(grace 30s, the node's 300ms termination time)
    assert.ok(Date.now() - t0 < 10_000);
    const r = await cluster.kubectl(['get', 'pod', 'sulky']);
    assert.match(r.stderr, /NotFound/);
  });
});
