// The simulated pod state machine with injected time: pod + annotations + now → status + next wake.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { core } from '../../api/types.js';
import { behaviourOf, parseDuration } from './annotations.js';
import { advanceStep, type NodeContext, type PodMemory, renderStatus, restartDelayMs, step } from './lifecycle.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const ctx: NodeContext = { hostIP: '127.0.0.1', podIP: '10.244.1.5', startLatencyMs: 0, terminationMs: 2000 };

function mkPod(annotations: Record<string, string> = {}, spec: Partial<core.PodSpec> = {}): core.Pod {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'u1', annotations },
    spec: { containers: [{ name: 'nginx', image: 'nginx' }], restartPolicy: 'Always', nodeName: 'n1', ...spec },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] },
  };
}

/** Runs the pod at each time (seconds after T0), carrying memory and status forward like the I/O layer does. */
function run(pod: core.Pod, seconds: number[]): { t: number; status: core.PodStatus; wakeAt?: number }[] {
  const b = behaviourOf(pod, { startLatencyMs: ctx.startLatencyMs });
  let mem: PodMemory | undefined;
  const out: { t: number; status: core.PodStatus; wakeAt?: number }[] = [];
  let current = pod;
  for (const s of seconds) {
    const r = step(current, mem, b, ctx, T0 + s * 1000);
    mem = r.memory;
    current = { ...current, status: r.status };
    out.push({ t: s, status: r.status, ...(r.wakeAt !== undefined ? { wakeAt: (r.wakeAt - T0) / 1000 } : {}) });
  }
  return out;
}

const cond = (s: core.PodStatus, type: string): string | undefined => s.conditions?.find((c) => c.type === type)?.status;
const c0 = (s: core.PodStatus): core.ContainerStatus => s.containerStatuses![0]!;

describe('parseDuration', () => {
  const cases: [string, number | undefined][] = [
    ['500ms', 500],
    ['3s', 3000],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['2', 2000],
    ['2h', 7_200_000],
    ['abc', undefined],
    ['5x', undefined],
  ];
  for (const [s, want] of cases) it(`${s} → ${want}`, () => assert.equal(parseDuration(s), want));
});

describe('restart back-off', () => {
  const cases: [number, number][] = [
    [0, 0],
    [1, 10_000],
    [2, 20_000],
    [3, 40_000],
    [5, 160_000],
    [6, 300_000],
    [10, 300_000],
  ];
  for (const [n, want] of cases) it(`after ${n} restarts → ${want}ms`, () => assert.equal(restartDelayMs(n), want));
});

describe('simulated pod lifecycle', () => {
  it('start-latency: ContainerCreating, then Running and Ready', () => {
    const [a, b] = run(mkPod({ 'sim.kujira.io/start-latency': '500ms' }), [0, 0.5]);
    assert.equal(a!.status.phase, 'Pending');
    assert.equal(c0(a!.status).state?.waiting?.reason, 'ContainerCreating');
    assert.equal(cond(a!.status, 'Ready'), 'False');
    assert.equal(a!.status.conditions!.find((c) => c.type === 'Ready')!.message, 'containers with unready status: [nginx]');
    assert.equal(a!.wakeAt, 0.5);
    assert.equal(b!.status.phase, 'Running');
    assert.ok(c0(b!.status).state?.running?.startedAt);
    assert.equal(c0(b!.status).ready, true);
    assert.equal(c0(b!.status).started, true);
    assert.match(c0(b!.status).containerID!, /^containerd:\/\/[0-9a-f]{64}$/);
    assert.match(c0(b!.status).imageID!, /^docker.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    assert.equal(c0(b!.status).image, 'docker.io/library/nginx:latest');
    assert.deepEqual(b!.status.conditions!.map((c) => [c.type, c.status]), [
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
    assert.equal(b!.status.podIP, '10.244.1.5');
    assert.equal(b!.status.hostIP, '127.0.0.1');
    assert.equal(b!.status.startTime, '2026-01-01T00:00:00Z');
    assert.equal(b!.status.qosClass, 'BestEffort');
    assert.equal(b!.wakeAt, undefined);
  });

  it('ready-after: running but not ready until the delay passes', () => {
    const r = run(mkPod({ 'sim.kujira.io/ready-after': '3s' }), [0, 2.9, 3]);
    assert.equal(r[0]!.status.phase, 'Running');
    assert.equal(cond(r[0]!.status, 'Ready'), 'False');
    assert.equal(r[0]!.wakeAt, 3);
    assert.equal(cond(r[1]!.status, 'Ready'), 'False');
    assert.equal(cond(r[2]!.status, 'Ready'), 'True');
  });

  it('readinessProbe.initialDelaySeconds is the default ready delay', () => {
    const pod = mkPod({}, { containers: [{ name: 'nginx', image: 'nginx', readinessProbe: { initialDelaySeconds: 5, httpGet: { port: 80 } } }] });
    const r = run(pod, [0, 4, 5]);
    assert.deepEqual(r.map((x) => cond(x.status, 'Ready')), ['False', 'False', 'True']);
  });

  it('never-ready', () => {
    const r = run(mkPod({ 'sim.kujira.io/never-ready': 'true' }), [0, 3600]);
    assert.equal(r[1]!.status.phase, 'Running');
    assert.equal(cond(r[1]!.status, 'Ready'), 'False');
    assert.equal(r[1]!.wakeAt, undefined);
  });

  it('fail-liveness-after: restart at once, then CrashLoopBackOff 10s, 20s', () => {
    const r = run(mkPod({ 'sim.kujira.io/fail-liveness-after': '10s' }), [0, 10, 20, 25, 30, 40, 55, 60]);
    const at = (t: number): core.ContainerStatus => c0(r.find((x) => x.t === t)!.status);
    assert.equal(at(0).restartCount, 0);
    assert.equal(at(10).restartCount, 1);
    assert.ok(at(10).state?.running);
    assert.equal(at(10).lastState?.terminated?.exitCode, 137);
    assert.equal(at(10).lastState?.terminated?.reason, 'Error');
    assert.equal(at(20).state?.waiting?.reason, 'CrashLoopBackOff');
    assert.match(at(20).state!.waiting!.message!, /^back-off 10s restarting failed container=nginx pod=web_default\(u1\)$/);
    assert.equal(at(20).restartCount, 1);
    assert.equal(r.find((x) => x.t === 20)!.status.phase, 'Running');
    assert.equal(r.find((x) => x.t === 20)!.wakeAt, 30);
    assert.equal(at(25).state?.waiting?.reason, 'CrashLoopBackOff');
    assert.ok(at(30).state?.running);
    assert.equal(at(30).restartCount, 2);
    assert.equal(at(40).state?.waiting?.reason, 'CrashLoopBackOff');
    assert.match(at(40).state!.waiting!.message!, /back-off 20s/);
    assert.equal(at(55).state?.waiting?.reason, 'CrashLoopBackOff');
    assert.ok(at(60).state?.running);
    assert.equal(at(60).restartCount, 3);
  });

  const exits: { name: string; policy: string; code: string; phase: string; restarted: boolean }[] = [
    { name: 'Never, exit 0 → Succeeded', policy: 'Never', code: '0', phase: 'Succeeded', restarted: false },
    { name: 'Never, exit 1 → Failed', policy: 'Never', code: '1', phase: 'Failed', restarted: false },
    { name: 'OnFailure, exit 0 → Succeeded', policy: 'OnFailure', code: '0', phase: 'Succeeded', restarted: false },
    { name: 'OnFailure, exit 1 → restarted, Running', policy: 'OnFailure', code: '1', phase: 'Running', restarted: true },
    { name: 'Always, exit 0 → restarted, Running', policy: 'Always', code: '0', phase: 'Running', restarted: true },
  ];
  for (const e of exits) {
    it(`exit-after: ${e.name}`, () => {
      const pod = mkPod({ 'sim.kujira.io/exit-after': '5s', 'sim.kujira.io/exit-code': e.code }, { restartPolicy: e.policy });
      const r = run(pod, [0, 5]);
      const s = r[1]!.status;
      assert.equal(s.phase, e.phase);
      assert.equal(c0(s).restartCount, e.restarted ? 1 : 0);
      if (!e.restarted) {
        assert.equal(c0(s).state?.terminated?.exitCode, Number(e.code));
        assert.equal(c0(s).state?.terminated?.reason, e.code === '0' ? 'Completed' : 'Error');
        assert.equal(cond(s, 'Ready'), 'False');
        assert.equal(s.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
        assert.equal(r[1]!.wakeAt, undefined);
      }
    });
  }

  it('init containers run first: Initialized False, then True', () => {
    const pod = mkPod({ 'sim.kujira.io/start-latency': '1s' }, { initContainers: [{ name: 'setup', image: 'busybox' }] });
    const r = run(pod, [0, 0.5, 1, 2]);
    assert.equal(r[0]!.status.phase, 'Pending');
    assert.equal(cond(r[0]!.status, 'Initialized'), 'False');
    assert.equal(r[0]!.status.conditions!.find((c) => c.type === 'Initialized')!.message, 'containers with incomplete status: [setup]');
    assert.equal(c0(r[0]!.status).state?.waiting?.reason, 'PodInitializing');
    assert.equal(cond(r[2]!.status, 'Initialized'), 'True');
    assert.equal(r[2]!.status.initContainerStatuses![0]!.state?.terminated?.reason, 'Completed');
    assert.equal(c0(r[2]!.status).state?.waiting?.reason, 'ContainerCreating');
    assert.equal(r[3]!.status.phase, 'Running');
  });

  it('keeps lastTransitionTime when a condition does not change', () => {
    const r = run(mkPod(), [0, 100]);
    const t0 = r[0]!.status.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime;
    assert.equal(r[1]!.status.conditions!.find((c) => c.type === 'Ready')!.lastTransitionTime, t0);
  });

  it('graceful deletion: deleted after min(grace, termination time)', () => {
    const b = behaviourOf(mkPod(), { startLatencyMs: 0 });
    const base = mkPod();
    let pod: core.Pod = { ...base, metadata: { ...base.metadata, deletionGracePeriodSeconds: 30, deletionTimestamp: new Date(T0 + 30_000).toISOString() } };
    const early = step(pod, undefined, b, ctx, T0 + 1000);
    assert.equal(early.delete, false);
    assert.equal(early.wakeAt, T0 + 2000);
    assert.equal(step(pod, undefined, b, ctx, T0 + 2000).delete, true);
    pod = { ...base, metadata: { ...base.metadata, deletionGracePeriodSeconds: 1, deletionTimestamp: new Date(T0 + 1000).toISOString() } };
    assert.equal(step(pod, undefined, b, ctx, T0 + 1000).delete, true);
  });

  it('advanceStep decides without rendering; step is advanceStep plus the rendered status', () => {
    const pod = mkPod({ 'sim.kujira.io/start-latency': '100ms' });
    const b = behaviourOf(pod, { startLatencyMs: 0 });
    const a = advanceStep(pod, undefined, b, ctx, T0);
    assert.equal(a.status, undefined);
    assert.equal(a.delete, false);
    assert.equal(a.wakeAt, T0 + 100);
    const s = step(pod, undefined, b, ctx, T0);
    assert.equal(s.wakeAt, T0 + 100);
    assert.deepEqual(renderStatus(pod, a.memory, b, ctx, T0), s.status);
    assert.equal(c0(s.status).state?.waiting?.reason, 'ContainerCreating');
    // A terminating pod keeps its own status: advanceStep hands it back.
    const dying: core.Pod = { ...pod, metadata: { ...pod.metadata, deletionGracePeriodSeconds: 30, deletionTimestamp: new Date(T0 + 30_000).toISOString() } };
    assert.equal(advanceStep(dying, undefined, b, ctx, T0).status, dying.status);
  });

  it('rebuilds its memory from a pod status (kujira restarted)', () => {
    const r = run(mkPod({ 'sim.kujira.io/fail-liveness-after': '10s' }), [0, 10, 20]);
    const b = behaviourOf(mkPod({ 'sim.kujira.io/fail-liveness-after': '10s' }), { startLatencyMs: 0 });
    const again = step({ ...mkPod({ 'sim.kujira.io/fail-liveness-after': '10s' }), status: r[2]!.status }, undefined, b, ctx, T0 + 30_000);
    assert.equal(again.status.containerStatuses![0]!.restartCount, 2);
    assert.ok(again.status.containerStatuses![0]!.state?.running);
  });
});
