// NodeUnschedulable: a cordoned node (spec.unschedulable) takes only pods that
// tolerate node.kubernetes.io/unschedulable:NoSchedule (DaemonSet pods do).
import type { core } from '../../api/types.js';
import { isTaintTolerated, TAINT_UNSCHEDULABLE } from '../../node/shared/taints.js';
import { type FilterPlugin, SUCCESS, unresolvable } from '../framework/types.js';

export const NODE_UNSCHEDULABLE = 'NodeUnschedulable';
export const ERR_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';

export function fitsUnschedulable(pod: core.Pod, node: core.Node): boolean {
  if (!node.spec?.unschedulable) return true;
  return isTaintTolerated({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' }, pod.spec?.tolerations);
}

export const nodeUnschedulable: FilterPlugin = {
  passesPlainNodes: true,
  name: NODE_UNSCHEDULABLE,
  filter: (pod, node) => (!node.unschedulable || fitsUnschedulable(pod.pod, node.node) ? SUCCESS : unresolvable(NODE_UNSCHEDULABLE, ERR_NODE_UNSCHEDULABLE)),
};
