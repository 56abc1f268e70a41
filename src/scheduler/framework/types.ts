// The scheduler framework: filter and score plugins over a snapshot of nodes.
// A filter answers "can this pod run here?" with a status whose reasons are what the
// user finally reads in `0/3 nodes are available: 3 Insufficient cpu.`; a score ranks
// the feasible nodes from 0 to MAX_NODE_SCORE.
import type { core } from '../../api/types.js';
import type { ResourceAmounts } from '../../node/shared/resources.js';

export const MAX_NODE_SCORE = 100;

export type StatusCode = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status {
  code: StatusCode;
  /** What the user reads; several per status when e.g. cpu and memory are both short. */
  reasons: readonly string[];
  /** The plugin that failed, for diagnosis. */
  plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) }) as Status;

export function unschedulable(plugin: string, ...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons, plugin };
}

export function unresolvable(plugin: string, ...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons, plugin };
}

/** A host port a container asks for: protocol, host IP (0.0.0.0 = all) and port. */
export interface HostPort {
  protocol: string;
  hostIP: string;
  port: number;
}

/** What a pod takes from its node: all the cache keeps of a placed pod (never the pod object itself). */
export interface PodShare {
  /** Effective requests (init containers and overhead counted as Kubernetes does). */
  requests: ResourceAmounts;
  /** cpu/memory with defaults for empty requests, for scoring only. */
  scoringRequests: { cpu: number; memory: number };
  hostPorts: HostPort[];
  /** uid of the controlling owner (ReplicaSet, ...), for spreading. */
  ownerUid?: string;
}

/** Everything the plugins need about the pod being scheduled, computed once per attempt. */
export interface PodInfo extends PodShare {
  pod: core.Pod;
  key: string;
  /** Names of the requested resources (> 0), in the order the fit check reports them: cpu, memory, ephemeral-storage, then the rest. */
  requestNames: string[];
  /** requests.cpu (millicores) and requests.memory as plain fields, and the other requested names (> 0): the fit check's fast path. */
  cpuRequest: number;
  memoryRequest: number;
  otherRequestNames: string[];
}

/** A node and what is already placed on it, including pods assumed but not yet seen bound. */
export interface NodeInfo {
  name: string;
  node: core.Node;
  allocatable: ResourceAmounts;
  allowedPods: number;
  requested: ResourceAmounts;
  /** cpu/memory summed with scoring defaults. */
  scoringRequested: { cpu: number; memory: number };
  podCount: number;
  /**
   * Derived once per node object (the filters and scores run for every pod on hundreds of nodes):
   * allocatable cpu (millicores) and memory, what placed pods request of them (kept with `requested`),
   * spec.unschedulable, the NoSchedule/NoExecute taints, how many PreferNoSchedule taints, and the
   * taint a node that is not Ready implicitly carries.
   */
  allocatableCpu: number;
  allocatableMemory: number;
  requestedCpu: number;
  requestedMemory: number;
  unschedulable: boolean;
  filterTaints: readonly core.Taint[];
  preferNoScheduleTaints: number;
  notReadyTaint: core.Taint | undefined;
  /** Ready, not cordoned, no NoSchedule/NoExecute taint: filters marked `passesPlainNodes` need not run. */
  plain: boolean;
  usedPorts: HostPort[];
  /** Pods per controlling owner uid. */
  ownerCounts: Map<string, number>;
}

export interface FilterPlugin {
  name: string;
  filter(pod: PodInfo, node: NodeInfo): Status;
  /**
   * True when the filter passes on every node for this pod (Kubernetes' PreFilter "Skip"),
   * so the per-node loop leaves it out: most pods name no node, select no labels and take no host ports.
   */
  skip?(pod: PodInfo): boolean;
  /** True when the filter passes every pod on a plain node (see NodeInfo.plain), whatever the pod's tolerations. */
  passesPlainNodes?: boolean;
}

export interface ScorePlugin {
  name: string;
  weight: number;
  score(pod: PodInfo, node: NodeInfo): number;
  /** score() over every node into `out` in one loop (the same numbers, without a call per node). */
  scoreAll?(pod: PodInfo, nodes: readonly NodeInfo[], out: number[]): void;
  /** True when this pod gets the same score on every one of these feasible nodes, so the score cannot change the choice and is left out. */
  skip?(pod: PodInfo, nodes: readonly NodeInfo[]): boolean;
  /** Rescales raw scores of all feasible nodes in place to 0..MAX_NODE_SCORE. */
  normalize?(pod: PodInfo, scores: number[]): void;
}

/** Scales scores so the best is MAX_NODE_SCORE; with `reverse`, the lowest raw score wins. */
export function defaultNormalize(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  for (let i = 0; i < scores.length; i++) {
    if (max === 0) scores[i] = reverse ? MAX_NODE_SCORE : 0;
    else {
      const v = Math.floor((MAX_NODE_SCORE * scores[i]!) / max);
      scores[i] = reverse ? MAX_NODE_SCORE - v : v;
    }
  }
}
