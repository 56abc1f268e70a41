// Building PodInfo / NodeInfo and keeping a NodeInfo's totals as pods come and go.
import { compareStrings } from '../../api/compare.js';
import type { core } from '../../api/types.js';
import { intValueOf } from '../../api/quantity.js';
import { findCondition } from '../../node/shared/conditions.js';
import { podRequests, podScoringRequests, toAmounts } from '../../node/shared/resources.js';
import { TAINT_NOT_READY, TAINT_UNREACHABLE } from '../../node/shared/taints.js';
import type { HostPort, NodeInfo, PodInfo, PodShare } from './types.js';

export function podKey(pod: core.Pod): string {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

export function controllerUid(pod: core.Pod): string | undefined {
  return pod.metadata?.ownerReferences?.find((r) => r.controller)?.uid;
}

export function podHostPorts(pod: core.Pod): HostPort[] {
  const out: HostPort[] = [];
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ protocol: p.protocol ?? 'TCP', hostIP: p.hostIP || '0.0.0.0', port: p.hostPort });
    }
  }
  return out;
}

const RESOURCE_ORDER: Record<string, number> = { cpu: 0, memory: 1, 'ephemeral-storage': 2 };

export function makePodInfo(pod: core.Pod): PodInfo {
  const requests = podRequests(pod);
  const requestNames = Object.keys(requests)
    .filter((n) => n !== 'pods' && requests[n]! > 0)
    .sort((a, b) => (RESOURCE_ORDER[a] ?? 3) - (RESOURCE_ORDER[b] ?? 3) || compareStrings(a, b));
  const info: PodInfo = {
    pod,
    key: podKey(pod),
    requests,
    requestNames,
    cpuRequest: requests['cpu'] ?? 0,
    memoryRequest: requests['memory'] ?? 0,
    otherRequestNames: requestNames.filter((n) => n !== 'cpu' && n !== 'memory'),
    scoringRequests: podScoringRequests(pod),
    hostPorts: podHostPorts(pod),
  };
  const owner = controllerUid(pod);
  if (owner) info.ownerUid = owner;
  return info;
}

const NO_TAINTS: readonly core.Taint[] = Object.freeze([]);

/** The taint a node that is not Ready counts as carrying (what the node lifecycle controller would add), or undefined when Ready. */
export function readyTaintOf(node: core.Node): core.Taint | undefined {
  const ready = findCondition(node.status?.conditions, 'Ready');
  if (ready?.status === 'True') return undefined;
  return { key: ready?.status === 'Unknown' ? TAINT_UNREACHABLE : TAINT_NOT_READY, effect: 'NoSchedule' };
}

export function makeNodeInfo(node: core.Node): NodeInfo {
  const allocatable = toAmounts(node.status?.allocatable ?? node.status?.capacity);
  const taints = node.spec?.taints ?? [];
  const filterTaints = taints.filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  const unschedulable = node.spec?.unschedulable === true;
  const notReadyTaint = readyTaintOf(node);
  // One literal with every field, so all NodeInfos share a shape (the per-node loop stays monomorphic).
  return {
    name: node.metadata?.name ?? '',
    node,
    allocatable,
    allowedPods: intValueOf(node.status?.allocatable?.['pods'] ?? node.status?.capacity?.['pods'] ?? 110) ?? 0,
    requested: {},
    scoringRequested: { cpu: 0, memory: 0 },
    podCount: 0,
    allocatableCpu: allocatable['cpu'] ?? 0,
    allocatableMemory: allocatable['memory'] ?? 0,
    requestedCpu: 0,
    requestedMemory: 0,
    unschedulable,
    filterTaints: filterTaints.length > 0 ? filterTaints : NO_TAINTS,
    preferNoScheduleTaints: taints.filter((t) => t.effect === 'PreferNoSchedule').length,
    notReadyTaint,
    plain: !unschedulable && filterTaints.length === 0 && !notReadyTaint,
    usedPorts: [],
    ownerCounts: new Map(),
  };
}

/** The part of a PodInfo a placed pod keeps, so the cache holds no stale pod objects. */
export function shareOf(info: PodShare): PodShare {
  const share: PodShare = { requests: info.requests, scoringRequests: info.scoringRequests, hostPorts: info.hostPorts };
  if (info.ownerUid) share.ownerUid = info.ownerUid;
  return share;
}

/** A node object changed: keep the pod totals, refresh what comes from the node. */
export function withNode(info: NodeInfo, node: core.Node): NodeInfo {
  const fresh = makeNodeInfo(node);
  fresh.requested = info.requested;
  fresh.scoringRequested = info.scoringRequested;
  fresh.podCount = info.podCount;
  fresh.requestedCpu = info.requestedCpu;
  fresh.requestedMemory = info.requestedMemory;
  fresh.usedPorts = info.usedPorts;
  fresh.ownerCounts = info.ownerCounts;
  return fresh;
}

/** Adds (sign 1) or removes (sign -1) a pod's share on a node. */
export function accountPod(info: NodeInfo, pod: PodShare, sign: 1 | -1): void {
  for (const [k, v] of Object.entries(pod.requests)) info.requested[k] = (info.requested[k] ?? 0) + sign * v;
  info.requestedCpu += sign * (pod.requests['cpu'] ?? 0);
  info.requestedMemory += sign * (pod.requests['memory'] ?? 0);
  info.scoringRequested.cpu += sign * pod.scoringRequests.cpu;
  info.scoringRequested.memory += sign * pod.scoringRequests.memory;
  info.podCount += sign;
  if (sign === 1) info.usedPorts.push(...pod.hostPorts);
  else {
    for (const hp of pod.hostPorts) {
      const i = info.usedPorts.findIndex((u) => u.port === hp.port && u.protocol === hp.protocol && u.hostIP === hp.hostIP);
      if (i >= 0) info.usedPorts.splice(i, 1);
    }
  }
  if (pod.ownerUid) {
    const n = (info.ownerCounts.get(pod.ownerUid) ?? 0) + sign;
    if (n <= 0) info.ownerCounts.delete(pod.ownerUid);
    else info.ownerCounts.set(pod.ownerUid, n);
  }
}
