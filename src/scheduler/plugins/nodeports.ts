// NodePorts: two pods cannot take the same host port and protocol on one node
// (0.0.0.0 conflicts with every address).
import { type FilterPlugin, type HostPort, SUCCESS, unschedulable } from '../framework/types.js';

export const NODE_PORTS = 'NodePorts';
export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

function conflicts(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.hostIP === '0.0.0.0' || b.hostIP === '0.0.0.0' || a.hostIP === b.hostIP;
}

export function fitsPorts(wanted: readonly HostPort[], used: readonly HostPort[]): boolean {
  for (const w of wanted) for (const u of used) if (conflicts(w, u)) return false;
  return true;
}

export const nodePorts: FilterPlugin = {
  name: NODE_PORTS,
  filter: (pod, node) => (fitsPorts(pod.hostPorts, node.usedPorts) ? SUCCESS : unschedulable(NODE_PORTS, ERR_NODE_PORTS)),
  skip: (pod) => pod.hostPorts.length === 0,
};
