// NodeAffinity: spec.nodeSelector and required node affinity must both match the
// node's labels; preferred terms add their weights to the score.
import type { core } from '../../api/types.js';
import { defaultNormalize, type FilterPlugin, type ScorePlugin, SUCCESS, unresolvable } from '../framework/types.js';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

function matchRequirement(req: core.NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const have = Number.parseInt(value, 10);
      const want = Number.parseInt(values[0]!, 10);
      if (Number.isNaN(have) || Number.isNaN(want)) return false;
      return req.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** A term matches when all its expressions and fields match; an empty term matches nothing. */
export function matchNodeSelectorTerm(term: core.NodeSelectorTerm, node: core.Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  for (const e of exprs) if (!matchRequirement(e, labels[e.key])) return false;
  for (const f of fields) {
    const value = f.key === 'metadata.name' ? node.metadata?.name : undefined;
    if (!matchRequirement(f, value)) return false;
  }
  return true;
}

export function fitsNodeAffinity(pod: core.Pod, node: core.Node): boolean {
  const selector = pod.spec?.nodeSelector;
  if (selector) {
    const labels = node.metadata?.labels ?? {};
    for (const k in selector) if (labels[k] !== selector[k]) return false;
  }
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  // Terms are ORed.
  return required.nodeSelectorTerms.some((t) => matchNodeSelectorTerm(t, node));
}

export function preferredAffinityWeight(pod: core.Pod, node: core.Node): number {
  let sum = 0;
  for (const p of pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (p.weight !== 0 && matchNodeSelectorTerm(p.preference, node)) sum += p.weight;
  }
  return sum;
}

export const nodeAffinity: FilterPlugin = {
  name: NODE_AFFINITY,
  filter: (pod, node) => (fitsNodeAffinity(pod.pod, node.node) ? SUCCESS : unresolvable(NODE_AFFINITY, ERR_NODE_AFFINITY)),
  skip: (pod) => {
    const selector = pod.pod.spec?.nodeSelector;
    if (selector && Object.keys(selector).length > 0) return false;
    return !pod.pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  },
};

export const nodeAffinityScore: ScorePlugin = {
  name: NODE_AFFINITY,
  weight: 2,
  score: (pod, node) => preferredAffinityWeight(pod.pod, node.node),
  skip: (pod) => !pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.some((p) => p.weight !== 0),
  normalize: (_pod, scores) => defaultNormalize(scores, false),
};
