// TaintToleration: NoSchedule and NoExecute taints keep out pods that do not tolerate
// them; PreferNoSchedule taints only lower the node's score.
import type { core } from '../../api/types.js';
import { findUntoleratedTaint, isTaintTolerated } from '../../node/shared/taints.js';
import { defaultNormalize, type FilterPlugin, type NodeInfo, type ScorePlugin, SUCCESS, unresolvable } from '../framework/types.js';

export const TAINT_TOLERATION = 'TaintToleration';
const FILTER_EFFECTS = ['NoSchedule', 'NoExecute'] as const;

export function untoleratedTaintMessage(taint: core.Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

export function untoleratedTaint(pod: core.Pod, node: core.Node): core.Taint | undefined {
  return findUntoleratedTaint(node.spec?.taints, pod.spec?.tolerations, FILTER_EFFECTS);
}

/** How many PreferNoSchedule taints the pod does not tolerate (fewer is better). */
export function intolerablePreferNoSchedule(pod: core.Pod, node: core.Node): number {
  let n = 0;
  for (const t of node.spec?.taints ?? []) {
    if (t.effect === 'PreferNoSchedule' && !isTaintTolerated(t, pod.spec?.tolerations?.filter((x) => !x.effect || x.effect === 'PreferNoSchedule'))) n++;
  }
  return n;
}

function anyPreferNoSchedule(nodes: readonly NodeInfo[]): boolean {
  for (const n of nodes) if (n.preferNoScheduleTaints > 0) return true;
  return false;
}

export const taintToleration: FilterPlugin = {
  passesPlainNodes: true,
  name: TAINT_TOLERATION,
  filter: (pod, node) => {
    if (node.filterTaints.length === 0) return SUCCESS;
    const taint = untoleratedTaint(pod.pod, node.node);
    return taint ? unresolvable(TAINT_TOLERATION, untoleratedTaintMessage(taint)) : SUCCESS;
  },
};

export const taintTolerationScore: ScorePlugin = {
  name: TAINT_TOLERATION,
  weight: 3,
  score: (pod, node) => (node.preferNoScheduleTaints === 0 ? 0 : intolerablePreferNoSchedule(pod.pod, node.node)),
  // No PreferNoSchedule taint on any feasible node: every node scores 0.
  skip: (_pod, nodes) => !anyPreferNoSchedule(nodes),
  normalize: (_pod, scores) => defaultNormalize(scores, true),
};
