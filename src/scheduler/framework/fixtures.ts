// Small builders for tests: a node with capacity, a pod with requests.
import type { core } from '../../api/types.js';
import { accountPod, makeNodeInfo, makePodInfo } from './nodeinfo.js';
import type { NodeInfo, PodInfo } from './types.js';

export function node(name: string, opts: { cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: core.Taint[]; unschedulable?: boolean; ready?: string } = {}): core.Node {
  const alloc = { cpu: opts.cpu ?? '4', memory: opts.memory ?? '8Gi', pods: opts.pods ?? '110' };
  const n: core.Node = {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(opts.labels ?? {}) } },
    spec: {},
    status: { capacity: alloc, allocatable: alloc, conditions: [{ type: 'Ready', status: opts.ready ?? 'True' }] },
  };
  if (opts.taints) n.spec!.taints = opts.taints;
  if (opts.unschedulable) n.spec!.unschedulable = true;
  return n;
}

export function pod(name: string, opts: { cpu?: string; memory?: string; owner?: string; spec?: Partial<core.PodSpec> } = {}): core.Pod {
  const requests: Record<string, string> = {};
  if (opts.cpu) requests['cpu'] = opts.cpu;
  if (opts.memory) requests['memory'] = opts.memory;
  const p: core.Pod = {
    metadata: { name, namespace: 'default', uid: `uid-${name}` },
    spec: { containers: [{ name: 'c', image: 'nginx', resources: { requests } }], ...(opts.spec ?? {}) },
  };
  if (opts.owner) p.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: opts.owner, controller: true }];
  return p;
}

export function nodeInfo(n: core.Node, ...pods: core.Pod[]): NodeInfo {
  const info = makeNodeInfo(n);
  for (const p of pods) accountPod(info, makePodInfo(p), 1);
  return info;
}

export function podInfo(p: core.Pod): PodInfo {
  return makePodInfo(p);
}
