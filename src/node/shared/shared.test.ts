// Requests, QoS, taints and default tolerations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { core } from '../../api/types.js';
import { normalizeImage, podPhase } from './podstatus.js';
import { qosClass } from './qos.js';
import { podRequests } from './resources.js';
import { addDefaultTolerations, noExecuteTolerationSeconds, toleratesTaint } from './taints.js';

const ctr = (name: string, req: Record<string, string> = {}, lim: Record<string, string> = {}, extra: Partial<core.Container> = {}): core.Container => ({
  name,
  image: 'x',
  resources: { requests: req, limits: lim },
  ...extra,
});

describe('podRequests', () => {
  const cases: { name: string; spec: core.PodSpec; cpu: number }[] = [
    { name: 'sum of containers', spec: { containers: [ctr('a', { cpu: '1' }), ctr('b', { cpu: '500m' })] }, cpu: 1500 },
    { name: 'init larger than sum', spec: { initContainers: [ctr('i', { cpu: '3' })], containers: [ctr('a', { cpu: '1' })] }, cpu: 3000 },
    { name: 'init smaller than sum', spec: { initContainers: [ctr('i', { cpu: '1' })], containers: [ctr('a', { cpu: '1' }), ctr('b', { cpu: '1' })] }, cpu: 2000 },
    {
      name: 'sidecar init containers add to the app sum',
      spec: { initContainers: [ctr('s', { cpu: '500m' }, {}, { restartPolicy: 'Always' })], containers: [ctr('a', { cpu: '1' })] },
      cpu: 1500,
    },
    { name: 'overhead added', spec: { containers: [ctr('a', { cpu: '1' })], overhead: { cpu: '250m' } }, cpu: 1250 },
    { name: 'limit only', spec: { containers: [ctr('a', {}, { cpu: '2' })] }, cpu: 2000 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(podRequests({ spec: c.spec }).cpu, c.cpu));
});

describe('qosClass', () => {
  const cases: { name: string; containers: core.Container[]; want: string }[] = [
    { name: 'nothing set', containers: [ctr('a')], want: 'BestEffort' },
    { name: 'limits = requests', containers: [ctr('a', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })], want: 'Guaranteed' },
    { name: 'limits only', containers: [ctr('a', {}, { cpu: '1', memory: '1Gi' })], want: 'Guaranteed' },
    { name: 'requests only', containers: [ctr('a', { cpu: '1' })], want: 'Burstable' },
    { name: 'only memory limited', containers: [ctr('a', {}, { memory: '1Gi' })], want: 'Burstable' },
    { name: 'requests below limits', containers: [ctr('a', { cpu: '500m', memory: '1Gi' }, { cpu: '1', memory: '1Gi' })], want: 'Burstable' },
    { name: 'one container without', containers: [ctr('a', { cpu: '1', memory: '1Gi' }, { cpu: '1', memory: '1Gi' }), ctr('b')], want: 'Burstable' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(qosClass({ spec: { containers: c.containers } }), c.want));
});

describe('taints and tolerations', () => {
  const taint: core.Taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
  const cases: { name: string; t: core.Toleration; want: boolean }[] = [
    { name: 'Equal, same value', t: { key: 'k', operator: 'Equal', value: 'v' }, want: true },
    { name: 'default operator is Equal', t: { key: 'k', value: 'v' }, want: true },
    { name: 'Equal, other value', t: { key: 'k', value: 'w' }, want: false },
    { name: 'Exists', t: { key: 'k', operator: 'Exists' }, want: true },
    { name: 'Exists without key tolerates all', t: { operator: 'Exists' }, want: true },
    { name: 'other effect', t: { key: 'k', operator: 'Exists', effect: 'NoExecute' }, want: false },
  ];
  for (const c of cases) it(c.name, () => assert.equal(toleratesTaint(c.t, taint), c.want));

  it('noExecuteTolerationSeconds takes the minimum', () => {
    const taints: core.Taint[] = [{ key: 'a', effect: 'NoExecute' }];
    assert.equal(noExecuteTolerationSeconds(taints, [{ key: 'a', operator: 'Exists', tolerationSeconds: 30 }, { operator: 'Exists', tolerationSeconds: 10 }]), 10);
    assert.equal(noExecuteTolerationSeconds(taints, []), 0);
    assert.equal(noExecuteTolerationSeconds(taints, [{ key: 'a', operator: 'Exists' }]), Infinity);
  });
});

describe('addDefaultTolerations', () => {
  it('adds not-ready and unreachable for 300s', () => {
    const pod = addDefaultTolerations({ spec: { containers: [] } }, { notReadySeconds: 300, unreachableSeconds: 300 });
    assert.deepEqual(pod.spec!.tolerations, [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]);
  });
  it('keeps a pod’s own toleration for the key', () => {
    const own: core.Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 };
    const pod = addDefaultTolerations({ spec: { containers: [], tolerations: [own] } }, { notReadySeconds: 300, unreachableSeconds: 300 });
    assert.equal(pod.spec!.tolerations!.length, 2);
    assert.equal(pod.spec!.tolerations![0], own);
  });
});

describe('podPhase', () => {
  const running: core.ContainerStatus = { name: 'a', image: 'x', imageID: '', ready: true, restartCount: 0, state: { running: {} } };
  const done = (code: number): core.ContainerStatus => ({ name: 'a', image: 'x', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code } } });
  const cases: { name: string; policy: 'Always' | 'OnFailure' | 'Never'; init: boolean; s: core.ContainerStatus[]; want: string }[] = [
    { name: 'initializing', policy: 'Always', init: false, s: [], want: 'Pending' },
    { name: 'running', policy: 'Always', init: true, s: [running], want: 'Running' },
    { name: 'Never, exit 0', policy: 'Never', init: true, s: [done(0)], want: 'Succeeded' },
    { name: 'Never, exit 2', policy: 'Never', init: true, s: [done(2)], want: 'Failed' },
    { name: 'Always, exited', policy: 'Always', init: true, s: [done(0)], want: 'Running' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(podPhase(c.policy, c.init, c.s, 1), c.want));
  it('normalizes image names like containerd', () => {
    assert.equal(normalizeImage('nginx'), 'docker.io/library/nginx:latest');
    assert.equal(normalizeImage('nginx:1.27'), 'docker.io/library/nginx:1.27');
    assert.equal(normalizeImage('bitnami/redis'), 'docker.io/bitnami/redis:latest');
    assert.equal(normalizeImage('registry.k8s.io/pause:3.10'), 'registry.k8s.io/pause:3.10');
  });
});
