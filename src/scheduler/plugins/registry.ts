// The default profile: filters in Kubernetes' order (cheap and unresolvable first),
// then the scores with their default weights.
import type { Profile } from '../framework/schedule.js';
import { nodeAffinity, nodeAffinityScore } from './nodeaffinity.js';
import { nodeName } from './nodename.js';
import { nodePorts } from './nodeports.js';
import { nodeReady } from './nodeready.js';
import { balancedAllocation, leastAllocated, nodeResourcesFit } from './noderesources.js';
import { nodeUnschedulable } from './nodeunschedulable.js';
import { ownerSpread } from './ownerspread.js';
import { taintToleration, taintTolerationScore } from './tainttoleration.js';

export function defaultProfile(percentageOfNodesToScore = 0): Profile {
  return {
    filters: [nodeUnschedulable, nodeName, taintToleration, nodeReady, nodeAffinity, nodePorts, nodeResourcesFit],
    scores: [taintTolerationScore, nodeAffinityScore, leastAllocated, balancedAllocation, ownerSpread],
    percentageOfNodesToScore,
  };
}
