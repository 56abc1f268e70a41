// Spreading pods of one owner (a ReplicaSet, ...) over nodes, as the default
// topology spread over kubernetes.io/hostname does: fewer siblings on a node, higher score.
// Six replicas on three equal nodes land 2 + 2 + 2 because the cache counts pods that
// were assumed a moment ago and are not yet seen bound.
import { MAX_NODE_SCORE, type NodeInfo, type PodInfo, type ScorePlugin } from '../framework/types.js';

export const OWNER_SPREAD = 'PodTopologySpread';

export function siblingsOnNode(pod: PodInfo, node: NodeInfo): number {
  return pod.ownerUid ? (node.ownerCounts.get(pod.ownerUid) ?? 0) : 0;
}

/** Raw scores are sibling counts; the node with the most siblings gets 0, nodes with none get 100. */
export function normalizeSpread(scores: number[]): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  for (let i = 0; i < scores.length; i++) {
    scores[i] = max === 0 ? MAX_NODE_SCORE : Math.floor((MAX_NODE_SCORE * (max - scores[i]!)) / max);
  }
}

export const ownerSpread: ScorePlugin = {
  name: OWNER_SPREAD,
  weight: 2,
  score: siblingsOnNode,
  scoreAll: (pod, nodes, out) => {
    for (let i = 0; i < nodes.length; i++) out[i] = siblingsOnNode(pod, nodes[i]!);
  },
  // A pod without an owner has no siblings: every node scores MAX_NODE_SCORE.
  skip: (pod) => !pod.ownerUid,
  normalize: (_pod, scores) => normalizeSpread(scores),
};
