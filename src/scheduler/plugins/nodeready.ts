// NodeReady: a node whose Ready condition is not True counts as carrying the taint the
// node lifecycle controller would put on it (not-ready / unreachable, NoSchedule), so a
// freshly failed node is avoided even before the controller has tainted it. The message
// is the one the taint would give.
import type { core } from '../../api/types.js';
import { isTaintTolerated } from '../../node/shared/taints.js';
import { type FilterPlugin, type NodeInfo, SUCCESS, unresolvable } from '../framework/types.js';
import { untoleratedTaintMessage } from './tainttoleration.js';

export const NODE_READY = 'NodeReady';

/** The NodeInfo's implicit not-ready taint if the pod does not tolerate it (derived once per node object: the filter runs for every pod on hundreds of nodes). */
export function untoleratedReadyTaint(pod: core.Pod, node: NodeInfo): core.Taint | undefined {
  const taint = node.notReadyTaint;
  if (!taint || isTaintTolerated(taint, pod.spec?.tolerations)) return undefined;
  return taint;
}

export const nodeReady: FilterPlugin = {
  passesPlainNodes: true,
  name: NODE_READY,
  filter: (pod, node) => {
    const taint = untoleratedReadyTaint(pod.pod, node);
    return taint ? unresolvable(NODE_READY, untoleratedTaintMessage(taint)) : SUCCESS;
  },
};
