import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { core } from '../../api/types.js';
import type { ContainerStatusInfo } from '../../runtime/runtime.js';
import { computePodStatus, initialPodStatus, normalizeImage, reportedByNode, type ContainerObservation } from './status.js';

const T0 = Date.UTC(2025, 0, 1);
const pod = (restartPolicy: string, init: string[] = []): core.Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: { restartPolicy, containers: [{ name: 'web', image: 'nginx' }], initContainers: init.map((name) => ({ name, image: 'busybox' })) },
  status: { conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' }] },
});
const c = (name: string, attempt: number, state: 'running' | 'exited' | 'created', exitCode = 0, reason = ''): ContainerStatusInfo => ({
  id: `${name}-${attempt}`, sandboxId: 's', name, attempt, state, createdAt: T0, image: 'x', imageRef: 'sha256:abc', labels: {}, annotations: {},
  startedAt: T0 + 1000, finishedAt: state === 'exited' ? T0 + 2000 : 0, exitCode, reason, message: '', logPath: '',
});
const obs = (p: core.Pod, containers: ContainerObservation[], init: ContainerObservation[] = []) =>
  computePodStatus({ pod: p, sandboxReady: true, podIPs: ['10.1.0.5'], hostIP: '127.0.0.1', containers, initContainers: init, now: T0 + 5000 });
const cond = (s: core.PodStatus, type: string) => s.conditions?.find((x) => x.type === type);

test('a running ready container makes the pod Running and Ready', () => {
  const s = obs(pod('Always'), [{ name: 'web', current: c('web', 0, 'running'), ready: true, started: true }]);
  assert.equal(s.phase, 'Running');
  assert.equal(cond(s, 'Ready')?.status, 'True');
  assert.equal(cond(s, 'ContainersReady')?.status, 'True');
  assert.equal(s.podIP, '10.1.0.5');
  assert.equal(s.qosClass, 'BestEffort');
  assert.equal(s.containerStatuses?.[0]?.containerID, 'containerd://web-0');
  assert.equal(s.containerStatuses?.[0]?.image, 'docker.io/library/nginx:latest');
});

test('readiness false keeps the pod not Ready with the kubelet message', () => {
  const s = obs(pod('Always'), [{ name: 'web', current: c('web', 0, 'running'), ready: false, started: true }]);
  assert.equal(s.phase, 'Running');
  assert.equal(cond(s, 'Ready')?.status, 'False');
  assert.equal(cond(s, 'Ready')?.reason, 'ContainersNotReady');
  assert.equal(cond(s, 'Ready')?.message, 'containers with unready status: [web]');
});

test('crash loop: waiting CrashLoopBackOff with lastState terminated and restartCount', () => {
  const s = obs(pod('Always'), [{ name: 'web', current: c('web', 2, 'exited', 137, 'OOMKilled'), previous: c('web', 1, 'exited', 1, 'Error'),
    waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' }, ready: false, started: false }]);
  const st = s.containerStatuses![0]!;
  assert.equal(st.state?.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(st.lastState?.terminated?.reason, 'OOMKilled');
  assert.equal(st.lastState?.terminated?.exitCode, 137);
  assert.equal(st.restartCount, 2);
  assert.equal(s.phase, 'Running');
});

test('terminal phases', () => {
  assert.equal(obs(pod('Never'), [{ name: 'web', current: c('web', 0, 'exited', 0), ready: false, started: false }]).phase, 'Succeeded');
  assert.equal(obs(pod('Never'), [{ name: 'web', current: c('web', 0, 'exited', 2), ready: false, started: false }]).phase, 'Failed');
  assert.equal(obs(pod('OnFailure'), [{ name: 'web', current: c('web', 0, 'exited', 0), ready: false, started: false }]).phase, 'Succeeded');
  const done = obs(pod('Never'), [{ name: 'web', current: c('web', 0, 'exited', 0), ready: false, started: false }]);
  assert.equal(cond(done, 'Ready')?.reason, 'PodCompleted');
});

test('init containers gate Initialized and the phase', () => {
  const p = pod('Always', ['setup']);
  const pending = obs(p, [], [{ name: 'setup', current: c('setup', 0, 'running'), ready: false, started: true }]);
  assert.equal(pending.phase, 'Pending');
  assert.equal(cond(pending, 'Initialized')?.message, 'containers with incomplete status: [setup]');
  assert.equal(pending.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
  // Init containers done, the app container not created yet: still PodInitializing, as the kubelet reports it.
  const initialized = obs(p, [], [{ name: 'setup', current: c('setup', 0, 'exited', 0), ready: false, started: false }]);
  assert.equal(initialized.phase, 'Pending');
  assert.equal(cond(initialized, 'Initialized')?.status, 'True');
  assert.equal(initialized.containerStatuses?.[0]?.state?.waiting?.reason, 'PodInitializing');
  assert.equal(obs(pod('Always'), []).containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
  const failed = obs(pod('Never', ['setup']), [], [{ name: 'setup', current: c('setup', 0, 'exited', 1), ready: false, started: false }]);
  assert.equal(failed.phase, 'Failed');
  const ok = obs(p, [{ name: 'web', current: c('web', 0, 'running'), ready: true, started: true }], [{ name: 'setup', current: c('setup', 0, 'exited', 0), ready: false, started: false }]);
  assert.equal(ok.phase, 'Running');
  assert.equal(cond(ok, 'Initialized')?.status, 'True');
});

test('image names are normalised like the kubelet shows them', () => {
  assert.equal(normalizeImage('busybox'), 'docker.io/library/busybox:latest');
  assert.equal(normalizeImage('user/app:1'), 'docker.io/user/app:1');
  assert.equal(normalizeImage('localhost/kujira-demo:1'), 'localhost/kujira-demo:1');
  assert.equal(normalizeImage('127.0.0.1:5000/kujira/demo:1'), '127.0.0.1:5000/kujira/demo:1');
});

test('the first status, before the sandbox: Pending, nothing ready, every container ContainerCreating with the spec image', () => {
  const p: core.Pod = {
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { containers: [
      { name: 'a', image: 'nginx', resources: { requests: { cpu: '100m' } } },
      { name: 'b', image: '127.0.0.1:1/kujira/none:1' },
    ] },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-12-31T23:59:59Z' }] },
  };
  assert.equal(reportedByNode(p), false);
  const s = initialPodStatus(p, '127.0.0.1', T0);
  assert.equal(reportedByNode({ ...p, status: s }), true);
  assert.deepEqual(s, {
    phase: 'Pending',
    conditions: [
      { type: 'PodReadyToStartContainers', status: 'False', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z' },
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z' },
      { type: 'Ready', status: 'False', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'ContainersNotReady', message: 'containers with unready status: [a b]' },
      { type: 'ContainersReady', status: 'False', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z', reason: 'ContainersNotReady', message: 'containers with unready status: [a b]' },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2024-12-31T23:59:59Z' },
    ],
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    startTime: '2025-01-01T00:00:00Z',
    containerStatuses: ['a', 'b'].map((name, i) => ({
      name, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0,
      image: ['nginx', '127.0.0.1:1/kujira/none:1'][i], imageID: '', started: false,
    })),
    qosClass: 'Burstable',
  });
});

test('the first status with init containers: all of them PodInitializing, Initialized False', () => {
  const s = initialPodStatus(pod('Always', ['one', 'two']), '127.0.0.1', T0);
  assert.equal(s.phase, 'Pending');
  assert.deepEqual(s.initContainerStatuses?.map((x) => [x.name, x.state?.waiting?.reason, x.ready, x.restartCount, x.image]),
    [['one', 'PodInitializing', false, 0, 'busybox'], ['two', 'PodInitializing', false, 0, 'busybox']]);
  assert.deepEqual(s.containerStatuses?.map((x) => [x.name, x.state?.waiting?.reason]), [['web', 'PodInitializing']]);
  assert.equal(cond(s, 'Initialized')?.status, 'False');
  assert.equal(cond(s, 'Initialized')?.reason, 'ContainersNotInitialized');
  assert.equal(cond(s, 'Initialized')?.message, 'containers with incomplete status: [one two]');
  assert.equal(cond(s, 'Ready')?.message, 'containers with unready status: [web]');
  assert.equal(s.qosClass, 'BestEffort');
});
