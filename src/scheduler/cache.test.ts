// The scheduling cache: bound and assumed pods count against their node.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { core } from '../api/types.js';
import { SchedulerCache } from './cache.js';
import { node, pod } from './framework/fixtures.js';
import { makePodInfo } from './framework/nodeinfo.js';

const bound = (p: core.Pod, nodeName: string, phase = 'Running'): core.Pod => ({ ...p, spec: { ...p.spec!, nodeName }, status: { phase } });

describe('SchedulerCache', () => {
  it('counts bound pods, also those seen before their node', () => {
    const c = new SchedulerCache();
    c.setPod(bound(pod('a', { cpu: '1' }), 'n1'));
    c.setNode(node('n1'));
    c.setPod(bound(pod('b', { cpu: '500m' }), 'n1'));
    assert.equal(c.getNode('n1')!.requested['cpu'], 1500);
    assert.equal(c.getNode('n1')!.podCount, 2);
  });

  it('assumed pods count until confirmed, forgotten on bind failure', () => {
    const c = new SchedulerCache();
    c.setNode(node('n1'));
    const info = makePodInfo(pod('a', { cpu: '1', owner: 'rs' }));
    c.assume(info, 'n1');
    assert.equal(c.getNode('n1')!.requested['cpu'], 1000);
    assert.equal(c.getNode('n1')!.ownerCounts.get('rs'), 1);
    c.forget(info.key);
    assert.equal(c.getNode('n1')!.requested['cpu'], 0);
    c.assume(info, 'n1');
    c.setPod(bound(pod('a', { cpu: '1', owner: 'rs' }), 'n1'));
    assert.equal(c.isAssumed(info.key), false);
    assert.equal(c.getNode('n1')!.requested['cpu'], 1000);
  });

  it('a pod released by its owner (relabelled out of its ReplicaSet) stops counting as a sibling', () => {
    const c = new SchedulerCache();
    c.setNode(node('n1'));
    c.setPod(bound(pod('a', { cpu: '1', owner: 'rs' }), 'n1'));
    assert.equal(c.getNode('n1')!.ownerCounts.get('rs'), 1);
    c.setPod(bound(pod('a', { cpu: '1' }), 'n1'));
    assert.equal(c.getNode('n1')!.ownerCounts.get('rs'), undefined);
    assert.equal(c.getNode('n1')!.requested['cpu'], 1000);
    assert.equal(c.getNode('n1')!.podCount, 1);
  });

  it('unconfirmed assumed pods expire after the TTL', () => {
    const c = new SchedulerCache(1000);
    c.setNode(node('n1'));
    const info = makePodInfo(pod('a', { cpu: '1' }));
    c.assume(info, 'n1');
    c.finishBinding(info.key, 0);
    c.expireAssumed(500);
    assert.equal(c.getNode('n1')!.podCount, 1);
    c.expireAssumed(1500);
    assert.equal(c.getNode('n1')!.podCount, 0);
  });

  it('terminal and deleted pods free their resources', () => {
    const c = new SchedulerCache();
    c.setNode(node('n1'));
    c.setPod(bound(pod('a', { cpu: '1' }), 'n1'));
    c.setPod(bound(pod('b', { cpu: '1' }), 'n1'));
    c.setPod(bound(pod('a', { cpu: '1' }), 'n1', 'Succeeded'));
    c.removePod('default/b');
    assert.equal(c.getNode('n1')!.requested['cpu'], 0);
    assert.equal(c.getNode('n1')!.podCount, 0);
  });

  it('a node update keeps its pods', () => {
    const c = new SchedulerCache();
    c.setNode(node('n1'));
    c.setPod(bound(pod('a', { cpu: '1' }), 'n1'));
    c.setNode(node('n1', { unschedulable: true }));
    assert.equal(c.getNode('n1')!.podCount, 1);
    assert.equal(c.nodeInfos()[0]!.node.spec?.unschedulable, true);
  });
});
