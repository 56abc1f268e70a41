// One scheduling attempt over a snapshot: filter a share of the nodes (starting where
// the previous attempt stopped, as kube-scheduler does), score the feasible ones, pick
// the best (ties broken at random). Pure apart from the injected random source.
import { MAX_NODE_SCORE, type FilterPlugin, type NodeInfo, type PodInfo, type ScorePlugin, type Status } from './types.js';

export interface Profile {
  filters: readonly FilterPlugin[];
  scores: readonly ScorePlugin[];
  /** 0 = adaptive (Kubernetes' default); otherwise the percentage of nodes to find feasible. */
  percentageOfNodesToScore: number;
}

export type ScheduleResult =
  | { kind: 'scheduled'; node: string; feasible: number; evaluated: number }
  | { kind: 'unschedulable'; message: string; statuses: Map<string, Status> };

const MIN_FEASIBLE_NODES = 100;
const MIN_PERCENTAGE = 5;

/** How many feasible nodes are enough: all below 100 nodes, then 50% shrinking by 1% per 125 nodes, at least 5% / 100. */
export function numFeasibleNodesToFind(numAllNodes: number, percentage: number): number {
  if (numAllNodes < MIN_FEASIBLE_NODES) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(MIN_PERCENTAGE, 50 - Math.floor(numAllNodes / 125));
  if (pct >= 100) return numAllNodes;
  return Math.max(MIN_FEASIBLE_NODES, Math.floor((numAllNodes * pct) / 100));
}

/** Runs filters in order; the first failure is the node's status. */
export function runFilters(filters: readonly FilterPlugin[], pod: PodInfo, node: NodeInfo): Status | undefined {
  for (const f of filters) {
    const s = f.filter(pod, node);
    if (s.code !== 'Success') return s.plugin ? s : { ...s, plugin: f.name };
  }
  return undefined;
}

/**
 * `0/3 nodes are available: 1 node(s) were unschedulable, 2 Insufficient cpu.`
 * Each node adds one count per reason; the "N reason" strings are sorted as strings.
 */
export function fitErrorMessage(numAllNodes: number, statuses: Iterable<Status>): string {
  const histogram = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  const parts = [...histogram].map(([reason, n]) => `${n} ${reason}`).sort();
  let msg = `0/${numAllNodes} nodes are available`;
  msg += parts.length > 0 ? `: ${parts.join(', ')}.` : '.';
  return msg;
}

export interface Scheduling {
  profile: Profile;
  /** Rotates through the node list so successive pods look at different nodes first. */
  nextStartIndex: number;
  random: () => number;
}

export function schedule(state: Scheduling, pod: PodInfo, nodes: readonly NodeInfo[]): ScheduleResult {
  const { profile } = state;
  const n = nodes.length;
  if (n === 0) return { kind: 'unschedulable', message: fitErrorMessage(0, []), statuses: new Map() };
  const want = numFeasibleNodesToFind(n, profile.percentageOfNodesToScore);
  const filters = profile.filters.filter((f) => !f.skip?.(pod));
  // On a plain node (Ready, schedulable, untainted: nearly all of them) the cordon, taint and readiness filters pass anyway.
  const plainFilters = filters.filter((f) => !f.passesPlainNodes);
  const feasible: NodeInfo[] = [];
  const statuses = new Map<string, Status>();
  const start = state.nextStartIndex % n;
  let evaluated = 0;
  // From the start index to the end, then wrapping round (no modulo per node).
  for (let i = start; evaluated < n && feasible.length < want; evaluated++) {
    const node = nodes[i]!;
    if (++i === n) i = 0;
    let failed: Status | undefined;
    if (node.plain) {
      // Its own call site: for most pods only NodeResourcesFit runs here, so the call stays monomorphic.
      for (const f of plainFilters) {
        const s = f.filter(pod, node);
        if (s.code !== 'Success') {
          failed = s.plugin ? s : { ...s, plugin: f.name };
          break;
        }
      }
    } else failed = runFilters(filters, pod, node);
    if (failed) statuses.set(node.name, failed);
    else feasible.push(node);
  }
  state.nextStartIndex = (start + evaluated) % n;
  if (feasible.length === 0) {
    return { kind: 'unschedulable', message: fitErrorMessage(n, statuses.values()), statuses };
  }
  if (feasible.length === 1) return { kind: 'scheduled', node: feasible[0]!.name, feasible: 1, evaluated };
  const totals = scoreNodes(profile.scores, pod, feasible);
  // Reservoir sampling among the best, so equal nodes share the load.
  let best = -1;
  let chosen = 0;
  let ties = 0;
  for (let i = 0; i < totals.length; i++) {
    const t = totals[i]!;
    if (t > best) {
      best = t;
      chosen = i;
      ties = 1;
    } else if (t === best) {
      ties++;
      if (state.random() * ties < 1) chosen = i;
    }
  }
  return { kind: 'scheduled', node: feasible[chosen]!.name, feasible: feasible.length, evaluated };
}

/** Weighted sum of every score plugin's normalized score, per feasible node. */
export function scoreNodes(plugins: readonly ScorePlugin[], pod: PodInfo, nodes: readonly NodeInfo[]): number[] {
  const totals = new Array<number>(nodes.length).fill(0);
  const scores = new Array<number>(nodes.length).fill(0);
  for (const p of plugins) {
    if (p.skip?.(pod, nodes)) continue;
    if (p.scoreAll) p.scoreAll(pod, nodes, scores);
    else for (let i = 0; i < nodes.length; i++) scores[i] = p.score(pod, nodes[i]!);
    p.normalize?.(pod, scores);
    const w = p.weight;
    for (let i = 0; i < nodes.length; i++) {
      const s = scores[i]!;
      totals[i]! += (s < 0 ? 0 : s > MAX_NODE_SCORE ? MAX_NODE_SCORE : s) * w;
    }
  }
  return totals;
}
