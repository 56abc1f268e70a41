// NodeResourcesFit and the resource scores.
// Filter: every resource the pod requests must fit in allocatable minus what pods on the
// node (bound or assumed) already request; the pod count must stay under `pods`.
// Scores: LeastAllocated prefers emptier nodes; BalancedAllocation prefers nodes whose
// cpu and memory fractions stay close to each other.
import { type FilterPlugin, MAX_NODE_SCORE, type NodeInfo, type PodInfo, type ScorePlugin, SUCCESS, unschedulable } from '../framework/types.js';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export const ERR_TOO_MANY_PODS = 'Too many pods';

/** The reasons the pod does not fit: `Too many pods`, `Insufficient cpu`, ... (empty = fits). */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  if (node.podCount + 1 > node.allowedPods) reasons.push(ERR_TOO_MANY_PODS);
  // Kubernetes checks cpu, memory, ephemeral-storage first, then extended resources.
  for (const name of pod.requestNames) {
    const want = pod.requests[name]!;
    const free = (node.allocatable[name] ?? 0) - (node.requested[name] ?? 0);
    if (want > free) reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

/** The same check as insufficientResources without building the reasons (the filter runs on hundreds of nodes per pod). */
export function fitsResources(pod: PodInfo, node: NodeInfo): boolean {
  if (node.podCount + 1 > node.allowedPods) return false;
  // cpu and memory from plain fields; a zero request is not checked (as requestNames leaves it out).
  if (pod.cpuRequest > 0 && pod.cpuRequest > node.allocatableCpu - node.requestedCpu) return false;
  if (pod.memoryRequest > 0 && pod.memoryRequest > node.allocatableMemory - node.requestedMemory) return false;
  for (const name of pod.otherRequestNames) {
    if (pod.requests[name]! > (node.allocatable[name] ?? 0) - (node.requested[name] ?? 0)) return false;
  }
  return true;
}

export const nodeResourcesFit: FilterPlugin = {
  name: NODE_RESOURCES_FIT,
  filter: (pod, node) => (fitsResources(pod, node) ? SUCCESS : unschedulable(NODE_RESOURCES_FIT, ...insufficientResources(pod, node))),
};

/** Fractions of cpu and memory the node would have requested with this pod on it. */
function cpuFraction(pod: PodInfo, node: NodeInfo): number {
  const alloc = node.allocatableCpu;
  return alloc > 0 ? Math.min(1, (node.scoringRequested.cpu + pod.scoringRequests.cpu) / alloc) : 1;
}

function memoryFraction(pod: PodInfo, node: NodeInfo): number {
  const alloc = node.allocatableMemory;
  return alloc > 0 ? Math.min(1, (node.scoringRequested.memory + pod.scoringRequests.memory) / alloc) : 1;
}

/** ((1 - cpuFraction) + (1 - memFraction)) / 2 scaled to 0..100. */
export function leastAllocatedScore(pod: PodInfo, node: NodeInfo): number {
  return Math.floor(((1 - cpuFraction(pod, node) + (1 - memoryFraction(pod, node))) * MAX_NODE_SCORE) / 2);
}

/** (1 - standard deviation of the fractions) scaled; for two resources std = |cpu - mem| / 2. */
export function balancedAllocationScore(pod: PodInfo, node: NodeInfo): number {
  const std = Math.abs(cpuFraction(pod, node) - memoryFraction(pod, node)) / 2;
  return Math.floor((1 - std) * MAX_NODE_SCORE);
}

export const leastAllocated: ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  score: leastAllocatedScore,
  scoreAll: (pod, nodes, out) => {
    for (let i = 0; i < nodes.length; i++) out[i] = leastAllocatedScore(pod, nodes[i]!);
  },
};
export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  score: balancedAllocationScore,
  scoreAll: (pod, nodes, out) => {
    for (let i = 0; i < nodes.length; i++) out[i] = balancedAllocationScore(pod, nodes[i]!);
  },
};
