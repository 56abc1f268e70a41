// NodeName: a pod that names its node fits only there.
import type { core } from '../../api/types.js';
import { type FilterPlugin, SUCCESS, unresolvable } from '../framework/types.js';

export const NODE_NAME = 'NodeName';
export const ERR_NODE_NAME = "node(s) didn't match the requested node name";

export function fitsNodeName(pod: core.Pod, node: core.Node): boolean {
  const wanted = pod.spec?.nodeName;
  return !wanted || wanted === node.metadata?.name;
}

export const nodeName: FilterPlugin = {
  name: NODE_NAME,
  filter: (pod, node) => (fitsNodeName(pod.pod, node.node) ? SUCCESS : unresolvable(NODE_NAME, ERR_NODE_NAME)),
  skip: (pod) => !pod.pod.spec?.nodeName,
};
