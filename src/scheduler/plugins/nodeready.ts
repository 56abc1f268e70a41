// NodeReady: a node whose Ready condition is not True counts as carrying the taint the
// node lifecycle controller would put on it (not-ready / unreachable, NoSchedule), so a
// freshly failed node is avoided even before the controller has tainted it. The message
// is the one the taint would give.
import type { core } from '../../api/types.js';
import { findCondition } from '../../node/shared/conditions.js';
import { isTaintTolerated, TAINT_NOT_READY, TAINT_UNREACHABLE } from '../../node/shared/taints.js';
import { type FilterPlugin, SUCCESS, unresolvable } from '../framework/types.js';
import { untoleratedTaintMessage } from './tainttoleration.js';

export const NODE_READY = 'NodeReady';

/**
 * Per node object (informer objects are replaced, never changed in place): the filter runs for
 * every pod on hundreds of nodes, and looking the condition up each time was its main cost.
 */
const taintByNode = new WeakMap<core.Node, core.Taint | null>();

/** The implicit taint of a node that is not Ready, or undefined when it is Ready. */
export function notReadyTaint(node: core.Node): core.Taint | undefined {
  let taint = taintByNode.get(node);
  if (taint === undefined) {
    const ready = findCondition(node.status?.conditions, 'Ready');
    taint = ready?.status === 'True' ? null : { key: ready?.status === 'Unknown' ? TAINT_UNREACHABLE : TAINT_NOT_READY, effect: 'NoSchedule' };
    taintByNode.set(node, taint);
  }
  return taint ?? undefined;
}

export function fitsNodeReady(pod: core.Pod, node: core.Node): core.Taint | undefined {
  const taint = notReadyTaint(node);
  if (!taint || isTaintTolerated(taint, pod.spec?.tolerations)) return undefined;
  return taint;
}

export const nodeReady: FilterPlugin = {
  name: NODE_READY,
  filter: (pod, node) => {
    const taint = fitsNodeReady(pod.pod, node.node);
    return taint ? unresolvable(NODE_READY, untoleratedTaintMessage(taint)) : SUCCESS;
  },
};
