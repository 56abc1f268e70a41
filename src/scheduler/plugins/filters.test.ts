// Table tests for every filter plugin: pod + node → status and reasons.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { core } from '../../api/types.js';
import { node, nodeInfo, pod, podInfo } from '../framework/fixtures.js';
import { withNode } from '../framework/nodeinfo.js';
import type { FilterPlugin, NodeInfo } from '../framework/types.js';
import { nodeAffinity } from './nodeaffinity.js';
import { nodeName } from './nodename.js';
import { nodePorts } from './nodeports.js';
import { nodeReady } from './nodeready.js';
import { nodeResourcesFit } from './noderesources.js';
import { nodeUnschedulable } from './nodeunschedulable.js';
import { taintToleration } from './tainttoleration.js';

interface Case {
  name: string;
  pod: core.Pod;
  node: NodeInfo;
  want: string[]; // reasons; [] = fits
  code?: string;
}

function table(plugin: FilterPlugin, cases: Case[]): void {
  describe(plugin.name, () => {
    for (const c of cases) {
      it(c.name, () => {
        const s = plugin.filter(podInfo(c.pod), c.node);
        assert.deepEqual([...s.reasons], c.want);
        if (c.want.length === 0) assert.equal(s.code, 'Success');
        else assert.equal(s.code, c.code ?? 'UnschedulableAndUnresolvable');
        // A filter the scheduler skips for this pod must have passed it.
        if (plugin.skip?.(podInfo(c.pod))) assert.deepEqual(c.want, [], 'skipped for a pod it would refuse');
        // A filter the scheduler leaves out on plain nodes must pass there.
        if (plugin.passesPlainNodes && c.node.plain) assert.deepEqual(c.want, [], 'left out on a plain node it would refuse');
      });
    }
  });
}

const unschedTol: core.Toleration = { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' };

table(nodeUnschedulable, [
  { name: 'schedulable node', pod: pod('p'), node: nodeInfo(node('n')), want: [] },
  { name: 'cordoned node', pod: pod('p'), node: nodeInfo(node('n', { unschedulable: true })), want: ['node(s) were unschedulable'] },
  { name: 'cordoned node, pod tolerates unschedulable', pod: pod('p', { spec: { tolerations: [unschedTol] } }), node: nodeInfo(node('n', { unschedulable: true })), want: [] },
  { name: 'cordoned node, toleration of every key', pod: pod('p', { spec: { tolerations: [{ operator: 'Exists' }] } }), node: nodeInfo(node('n', { unschedulable: true })), want: [] },
]);

table(nodeName, [
  { name: 'no nodeName', pod: pod('p'), node: nodeInfo(node('a')), want: [] },
  { name: 'nodeName matches', pod: pod('p', { spec: { nodeName: 'a' } }), node: nodeInfo(node('a')), want: [] },
  { name: 'nodeName differs', pod: pod('p', { spec: { nodeName: 'b' } }), node: nodeInfo(node('a')), want: ["node(s) didn't match the requested node name"] },
]);

table(nodeReady, [
  { name: 'ready node', pod: pod('p'), node: nodeInfo(node('n')), want: [] },
  { name: 'Ready=False', pod: pod('p'), node: nodeInfo(node('n', { ready: 'False' })), want: ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'] },
  { name: 'Ready=Unknown', pod: pod('p'), node: nodeInfo(node('n', { ready: 'Unknown' })), want: ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }'] },
  {
    name: 'Ready=False tolerated',
    pod: pod('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] } }),
    node: nodeInfo(node('n', { ready: 'False' })),
    want: [],
  },
  {
    name: 'NoExecute-only toleration does not cover the NoSchedule taint',
    pod: pod('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] } }),
    node: nodeInfo(node('n', { ready: 'False' })),
    want: ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }'],
  },
]);

const gpuTaint: core.Taint = { key: 'gpu', value: 'true', effect: 'NoSchedule' };
table(taintToleration, [
  { name: 'no taints', pod: pod('p'), node: nodeInfo(node('n')), want: [] },
  { name: 'NoSchedule untolerated', pod: pod('p'), node: nodeInfo(node('n', { taints: [gpuTaint] })), want: ['node(s) had untolerated taint {gpu: true}'] },
  { name: 'NoExecute untolerated', pod: pod('p'), node: nodeInfo(node('n', { taints: [{ key: 'dedicated', effect: 'NoExecute' }] })), want: ['node(s) had untolerated taint {dedicated: }'] },
  { name: 'PreferNoSchedule does not filter', pod: pod('p'), node: nodeInfo(node('n', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })), want: [] },
  { name: 'Equal toleration', pod: pod('p', { spec: { tolerations: [{ key: 'gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }] } }), node: nodeInfo(node('n', { taints: [gpuTaint] })), want: [] },
  { name: 'Equal toleration, wrong value', pod: pod('p', { spec: { tolerations: [{ key: 'gpu', value: 'false' }] } }), node: nodeInfo(node('n', { taints: [gpuTaint] })), want: ['node(s) had untolerated taint {gpu: true}'] },
  { name: 'Exists toleration, no effect', pod: pod('p', { spec: { tolerations: [{ key: 'gpu', operator: 'Exists' }] } }), node: nodeInfo(node('n', { taints: [gpuTaint] })), want: [] },
  { name: 'toleration for another effect', pod: pod('p', { spec: { tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoExecute' }] } }), node: nodeInfo(node('n', { taints: [gpuTaint] })), want: ['node(s) had untolerated taint {gpu: true}'] },
]);

const zoneA = node('n', { labels: { zone: 'a', disk: 'ssd', cores: '8' } });
const term = (exprs: core.NodeSelectorRequirement[]): core.Affinity => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: exprs }] } },
});
const AFF = "node(s) didn't match Pod's node affinity/selector";
table(nodeAffinity, [
  { name: 'no selector', pod: pod('p'), node: nodeInfo(zoneA), want: [] },
  { name: 'nodeSelector matches', pod: pod('p', { spec: { nodeSelector: { zone: 'a' } } }), node: nodeInfo(zoneA), want: [] },
  { name: 'nodeSelector mismatch', pod: pod('p', { spec: { nodeSelector: { zone: 'b' } } }), node: nodeInfo(zoneA), want: [AFF] },
  { name: 'nodeSelector missing label', pod: pod('p', { spec: { nodeSelector: { gpu: 'yes' } } }), node: nodeInfo(zoneA), want: [AFF] },
  { name: 'In', pod: pod('p', { spec: { affinity: term([{ key: 'zone', operator: 'In', values: ['a', 'b'] }]) } }), node: nodeInfo(zoneA), want: [] },
  { name: 'NotIn', pod: pod('p', { spec: { affinity: term([{ key: 'zone', operator: 'NotIn', values: ['a'] }]) } }), node: nodeInfo(zoneA), want: [AFF] },
  { name: 'Exists', pod: pod('p', { spec: { affinity: term([{ key: 'disk', operator: 'Exists' }]) } }), node: nodeInfo(zoneA), want: [] },
  { name: 'DoesNotExist', pod: pod('p', { spec: { affinity: term([{ key: 'disk', operator: 'DoesNotExist' }]) } }), node: nodeInfo(zoneA), want: [AFF] },
  { name: 'Gt', pod: pod('p', { spec: { affinity: term([{ key: 'cores', operator: 'Gt', values: ['4'] }]) } }), node: nodeInfo(zoneA), want: [] },
  { name: 'Lt', pod: pod('p', { spec: { affinity: term([{ key: 'cores', operator: 'Lt', values: ['4'] }]) } }), node: nodeInfo(zoneA), want: [AFF] },
  {
    name: 'terms are ORed',
    pod: pod('p', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] }, { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }],
            },
          },
        },
      },
    }),
    node: nodeInfo(zoneA),
    want: [],
  },
  { name: 'selector and affinity both needed', pod: pod('p', { spec: { nodeSelector: { zone: 'a' }, affinity: term([{ key: 'disk', operator: 'In', values: ['hdd'] }]) } }), node: nodeInfo(zoneA), want: [AFF] },
]);

const withPort = (port: number, hostIP?: string, protocol?: string): core.Pod =>
  pod(`p${port}`, { spec: { containers: [{ name: 'c', image: 'x', ports: [{ containerPort: 80, hostPort: port, ...(hostIP ? { hostIP } : {}), ...(protocol ? { protocol } : {}) }] }] } });
const PORTS = "node(s) didn't have free ports for the requested pod ports";
table(nodePorts, [
  { name: 'no host ports', pod: pod('p'), node: nodeInfo(node('n'), withPort(80)), want: [] },
  { name: 'free port', pod: withPort(81), node: nodeInfo(node('n'), withPort(80)), want: [] },
  { name: 'same port', pod: withPort(80), node: nodeInfo(node('n'), withPort(80)), want: [PORTS], code: 'Unschedulable' },
  { name: 'same port other protocol', pod: withPort(80, undefined, 'UDP'), node: nodeInfo(node('n'), withPort(80)), want: [] },
  { name: 'same port, distinct host IPs', pod: withPort(80, '10.0.0.1'), node: nodeInfo(node('n'), withPort(80, '10.0.0.2')), want: [] },
  { name: 'same port, wildcard vs specific', pod: withPort(80, '10.0.0.1'), node: nodeInfo(node('n'), withPort(80)), want: [PORTS], code: 'Unschedulable' },
]);

const initPod = pod('init', {
  spec: {
    initContainers: [{ name: 'i', image: 'x', resources: { requests: { cpu: '3' } } }],
    containers: [
      { name: 'a', image: 'x', resources: { requests: { cpu: '1' } } },
      { name: 'b', image: 'x', resources: { requests: { cpu: '500m' } } },
    ],
  },
});
table(nodeResourcesFit, [
  { name: 'fits empty node', pod: pod('p', { cpu: '1', memory: '1Gi' }), node: nodeInfo(node('n')), want: [] },
  { name: 'exactly fills the node', pod: pod('p', { cpu: '2' }), node: nodeInfo(node('n'), pod('q', { cpu: '2' })), want: [] },
  { name: 'too much cpu', pod: pod('p', { cpu: '5' }), node: nodeInfo(node('n')), want: ['Insufficient cpu'], code: 'Unschedulable' },
  { name: 'cpu taken by other pods', pod: pod('p', { cpu: '2' }), node: nodeInfo(node('n'), pod('q', { cpu: '3' })), want: ['Insufficient cpu'], code: 'Unschedulable' },
  { name: 'cpu and memory', pod: pod('p', { cpu: '5', memory: '9Gi' }), node: nodeInfo(node('n')), want: ['Insufficient cpu', 'Insufficient memory'], code: 'Unschedulable' },
  { name: 'too many pods', pod: pod('p'), node: nodeInfo(node('n', { pods: '1' }), pod('q')), want: ['Too many pods'], code: 'Unschedulable' },
  { name: 'init container larger than the app sum', pod: initPod, node: nodeInfo(node('n'), pod('q', { cpu: '1500m' })), want: ['Insufficient cpu'], code: 'Unschedulable' },
  { name: 'init container fits', pod: initPod, node: nodeInfo(node('n'), pod('q', { cpu: '1' })), want: [] },
  { name: 'overhead counted', pod: pod('p', { cpu: '3500m', spec: { overhead: { cpu: '600m' } } }), node: nodeInfo(node('n')), want: ['Insufficient cpu'], code: 'Unschedulable' },
  {
    name: 'limit without request counts',
    pod: pod('p', { spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { memory: '10Gi' } } }] } }),
    node: nodeInfo(node('n')),
    want: ['Insufficient memory'],
    code: 'Unschedulable',
  },
  {
    name: 'extended resource missing on node',
    pod: pod('p', { spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { 'example.com/gpu': '1' } } }] } }),
    node: nodeInfo(node('n')),
    want: ['Insufficient example.com/gpu'],
    code: 'Unschedulable',
  },
]);

describe('filters skipped per pod (PreFilter Skip)', () => {
  const plain = podInfo(pod('p'));
  it('a pod naming no node, selecting no labels and taking no host ports skips NodeName, NodeAffinity, NodePorts', () => {
    assert.equal(nodeName.skip?.(plain), true);
    assert.equal(nodeAffinity.skip?.(plain), true);
    assert.equal(nodePorts.skip?.(plain), true);
  });
  it('node-dependent filters are never skipped', () => {
    for (const f of [nodeUnschedulable, taintToleration, nodeReady, nodeResourcesFit]) assert.equal(f.skip?.(plain) ?? false, false, f.name);
  });
  it('a pod with a nodeName, a nodeSelector, required affinity or a host port runs the matching filter', () => {
    const named = pod('p');
    named.spec!.nodeName = 'n1';
    assert.equal(nodeName.skip?.(podInfo(named)), false);
    const selecting = pod('p');
    selecting.spec!.nodeSelector = { disk: 'ssd' };
    assert.equal(nodeAffinity.skip?.(podInfo(selecting)), false);
    const affine = pod('p');
    affine.spec!.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } };
    assert.equal(nodeAffinity.skip?.(podInfo(affine)), false);
    const ported = pod('p');
    ported.spec!.containers[0]!.ports = [{ containerPort: 80, hostPort: 8080 }];
    assert.equal(nodePorts.skip?.(podInfo(ported)), false);
  });
});

describe('plain nodes (Ready, schedulable, no NoSchedule/NoExecute taint)', () => {
  const cases: Array<{ name: string; node: core.Node; plain: boolean }> = [
    { name: 'ready, untainted', node: node('n'), plain: true },
    { name: 'PreferNoSchedule taint only', node: node('n', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] }), plain: true },
    { name: 'cordoned', node: node('n', { unschedulable: true }), plain: false },
    { name: 'NoSchedule taint', node: node('n', { taints: [gpuTaint] }), plain: false },
    { name: 'NoExecute taint', node: node('n', { taints: [{ key: 'd', effect: 'NoExecute' }] }), plain: false },
    { name: 'Ready=False', node: node('n', { ready: 'False' }), plain: false },
    { name: 'Ready=Unknown', node: node('n', { ready: 'Unknown' }), plain: false },
    { name: 'no Ready condition', node: { metadata: { name: 'n' }, spec: {}, status: {} }, plain: false },
  ];
  for (const c of cases) it(`${c.name} → plain=${c.plain}`, () => assert.equal(nodeInfo(c.node).plain, c.plain));
  it('only the cordon, taint and readiness filters are left out on plain nodes', () => {
    const left = [nodeUnschedulable, nodeName, taintToleration, nodeReady, nodeAffinity, nodePorts, nodeResourcesFit].filter((f) => f.passesPlainNodes).map((f) => f.name);
    assert.deepEqual(left, ['NodeUnschedulable', 'TaintToleration', 'NodeReady']);
  });
  it('a node object that changes (cordon, taint, readiness) is re-derived, keeping its pods', () => {
    const info = nodeInfo(node('n'), pod('x', { cpu: '1' }));
    const cordoned = withNode(info, node('n', { unschedulable: true }));
    assert.equal(cordoned.plain, false);
    assert.equal(cordoned.unschedulable, true);
    assert.equal(cordoned.requestedCpu, 1000);
    assert.equal(cordoned.podCount, 1);
    const back = withNode(cordoned, node('n'));
    assert.equal(back.plain, true);
    assert.equal(back.requested['cpu'], 1000);
  });
});
