// Table tests for the score plugins and the end-to-end pick over a set of nodes.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { node, nodeInfo, pod, podInfo } from '../framework/fixtures.js';
import { accountPod, makeNodeInfo, makePodInfo } from '../framework/nodeinfo.js';
import { fitErrorMessage, numFeasibleNodesToFind, schedule, type Scheduling } from '../framework/schedule.js';
import { preferredAffinityWeight } from './nodeaffinity.js';
import { balancedAllocationScore, leastAllocatedScore } from './noderesources.js';
import { normalizeSpread, siblingsOnNode } from './ownerspread.js';
import { defaultProfile } from './registry.js';
import { intolerablePreferNoSchedule, taintTolerationScore } from './tainttoleration.js';

describe('LeastAllocated', () => {
  const cases = [
    { name: 'empty node, 1 cpu 2Gi pod on 4 cpu 8Gi', pod: pod('p', { cpu: '1', memory: '2Gi' }), node: nodeInfo(node('n')), want: 75 },
    { name: 'half used node', pod: pod('p', { cpu: '1', memory: '2Gi' }), node: nodeInfo(node('n'), pod('q', { cpu: '1', memory: '2Gi' })), want: 50 },
    { name: 'pod without requests counts 100m/200Mi', pod: pod('p'), node: nodeInfo(node('n')), want: Math.floor(((1 - 0.025 + (1 - 200 / 8192)) * 100) / 2) },
    { name: 'full node', pod: pod('p', { cpu: '4', memory: '8Gi' }), node: nodeInfo(node('n')), want: 0 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(leastAllocatedScore(podInfo(c.pod), c.node), c.want));
});

describe('BalancedAllocation', () => {
  const cases = [
    { name: 'equal fractions', pod: pod('p', { cpu: '1', memory: '2Gi' }), node: nodeInfo(node('n')), want: 100 },
    { name: 'cpu heavy', pod: pod('p', { cpu: '4', memory: '0' }), node: nodeInfo(node('n')), want: 50 },
    { name: 'half cpu, quarter memory', pod: pod('p', { cpu: '2', memory: '2Gi' }), node: nodeInfo(node('n')), want: 87 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(balancedAllocationScore(podInfo(c.pod), c.node), c.want));
});

describe('PodTopologySpread (owner spread)', () => {
  it('counts siblings with the same controller', () => {
    const n = nodeInfo(node('n'), pod('a', { owner: 'rs1' }), pod('b', { owner: 'rs1' }), pod('c', { owner: 'rs2' }));
    assert.equal(siblingsOnNode(podInfo(pod('x', { owner: 'rs1' })), n), 2);
    assert.equal(siblingsOnNode(podInfo(pod('x', { owner: 'rs3' })), n), 0);
    assert.equal(siblingsOnNode(podInfo(pod('x')), n), 0);
  });
  const cases = [
    { name: 'no siblings anywhere', raw: [0, 0, 0], want: [100, 100, 100] },
    { name: 'one node has one', raw: [1, 0, 0], want: [0, 100, 100] },
    { name: 'graded', raw: [2, 1, 0], want: [0, 50, 100] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = [...c.raw];
      normalizeSpread(s);
      assert.deepEqual(s, c.want);
    });
  }
});

describe('NodeAffinity preferred and TaintToleration scores', () => {
  it('sums the weights of matching preferred terms', () => {
    const p = pod('p', {
      spec: {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
              { weight: 5, preference: { matchExpressions: [{ key: 'disk', operator: 'Exists' }] } },
            ],
          },
        },
      },
    });
    assert.equal(preferredAffinityWeight(p, node('n', { labels: { zone: 'a', disk: 'ssd' } })), 15);
    assert.equal(preferredAffinityWeight(p, node('n', { labels: { zone: 'b' } })), 0);
  });
  it('counts untolerated PreferNoSchedule taints', () => {
    const n = node('n', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }] });
    assert.equal(intolerablePreferNoSchedule(pod('p'), n), 2);
    assert.equal(intolerablePreferNoSchedule(pod('p', { spec: { tolerations: [{ key: 'a', operator: 'Exists' }] } }), n), 1);
  });
});

describe('scoreAll', () => {
  it('gives the numbers score() gives, node by node', () => {
    const nodes = [
      nodeInfo(node('a'), pod('x', { cpu: '1', memory: '1Gi', owner: 'rs' })),
      nodeInfo(node('b', { cpu: '8', memory: '2Gi' }), pod('y', { cpu: '500m', owner: 'other' })),
      nodeInfo(node('c')),
    ];
    const p = podInfo(pod('p', { cpu: '250m', memory: '128Mi', owner: 'rs' }));
    for (const plugin of defaultProfile().scores) {
      if (!plugin.scoreAll) continue;
      const out = new Array<number>(nodes.length).fill(-1);
      plugin.scoreAll(p, nodes, out);
      assert.deepEqual(out, nodes.map((n) => plugin.score(p, n)), plugin.name);
    }
  });
});

describe('schedule()', () => {
  const state = (): Scheduling => ({ profile: defaultProfile(), nextStartIndex: 0, random: Math.random });

  it('spreads 6 replicas of one ReplicaSet 2+2+2 over 3 equal nodes, counting assumed pods', () => {
    for (let round = 0; round < 20; round++) {
      const nodes = ['a', 'b', 'c'].map((n) => makeNodeInfo(node(n)));
      const s = state();
      for (let i = 0; i < 6; i++) {
        const p = makePodInfo(pod(`web-${i}`, { cpu: '100m', memory: '64Mi', owner: 'rs-web' }));
        const r = schedule(s, p, nodes);
        assert.equal(r.kind, 'scheduled');
        if (r.kind === 'scheduled') accountPod(nodes.find((n) => n.name === r.node)!, p, 1);
      }
      assert.deepEqual(nodes.map((n) => n.podCount), [2, 2, 2]);
    }
  });

  it('prefers the emptier node', () => {
    const nodes = [nodeInfo(node('busy'), pod('x', { cpu: '3' })), nodeInfo(node('idle'))];
    const r = schedule(state(), podInfo(pod('p', { cpu: '500m' })), nodes);
    assert.equal(r.kind === 'scheduled' && r.node, 'idle');
  });

  it('reports every node’s reason, counted and sorted', () => {
    const nodes = [nodeInfo(node('a', { unschedulable: true })), nodeInfo(node('b')), nodeInfo(node('c'))];
    const r = schedule(state(), podInfo(pod('p', { cpu: '5' })), nodes);
    assert.equal(r.kind, 'unschedulable');
    if (r.kind === 'unschedulable') assert.equal(r.message, '0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.');
  });

  it('too big for all nodes', () => {
    const nodes = [nodeInfo(node('a')), nodeInfo(node('b')), nodeInfo(node('c'))];
    const r = schedule(state(), podInfo(pod('p', { cpu: '5' })), nodes);
    assert.equal(r.kind === 'unschedulable' && r.message, '0/3 nodes are available: 3 Insufficient cpu.');
  });

  it('the TaintToleration score is left out only when no feasible node has a PreferNoSchedule taint', () => {
    const plainNodes = [makeNodeInfo(node('a')), makeNodeInfo(node('b'))];
    assert.equal(taintTolerationScore.skip?.(podInfo(pod('p')), plainNodes), true);
    const tainted = [makeNodeInfo(node('a', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })), makeNodeInfo(node('b'))];
    assert.equal(taintTolerationScore.skip?.(podInfo(pod('p')), tainted), false);
    for (let round = 0; round < 20; round++) {
      const r = schedule(state(), podInfo(pod('p')), tainted);
      assert.equal(r.kind === 'scheduled' && r.node, 'b');
    }
  });

  it('a cordoned, tainted or not-ready node among plain ones is still filtered', () => {
    const nodes = [
      makeNodeInfo(node('cordoned', { unschedulable: true })),
      makeNodeInfo(node('tainted', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] })),
      makeNodeInfo(node('down', { ready: 'Unknown' })),
      makeNodeInfo(node('ok')),
    ];
    for (let round = 0; round < 8; round++) {
      const s = state();
      s.nextStartIndex = round;
      const r = schedule(s, podInfo(pod('p')), nodes);
      assert.equal(r.kind === 'scheduled' && r.node, 'ok');
    }
    const none = schedule(state(), podInfo(pod('p', { cpu: '5' })), nodes);
    assert.equal(
      none.kind === 'unschedulable' && none.message,
      "0/4 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {gpu: }, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }, 1 node(s) were unschedulable.",
    );
  });

  it('a pod with a zero cpu request fits a full node (as Kubernetes: zero requests are not checked)', () => {
    const full = nodeInfo(node('full', { cpu: '1' }), pod('x', { cpu: '1' }));
    const r = schedule(state(), podInfo(pod('p', { memory: '1Mi' })), [full]);
    assert.equal(r.kind === 'scheduled' && r.node, 'full');
  });

  it('no nodes at all', () => {
    const r = schedule(state(), podInfo(pod('p')), []);
    assert.equal(r.kind === 'unschedulable' && r.message, '0/0 nodes are available.');
  });
});

describe('fitErrorMessage', () => {
  it('counts each reason once per node', () => {
    const msg = fitErrorMessage(2, [
      { code: 'Unschedulable', reasons: ['Insufficient cpu', 'Insufficient memory'] },
      { code: 'Unschedulable', reasons: ['Insufficient cpu'] },
    ]);
    assert.equal(msg, '0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu.');
  });
});

describe('numFeasibleNodesToFind', () => {
  const cases = [
    { nodes: 3, want: 3 },
    { nodes: 99, want: 99 },
    { nodes: 100, want: 100 },
    { nodes: 1000, want: 420 },
    { nodes: 5000, want: 500 },
  ];
  for (const c of cases) it(`${c.nodes} nodes → ${c.want}`, () => assert.equal(numFeasibleNodesToFind(c.nodes, 0), c.want));
});
