// The Node object and its Lease: registration with capacity, addresses and node info; heartbeats.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { coordination, core } from '../../api/types.js';
import type { ResourceClient } from '../../client/client.js';
import { rfc3339 } from './status.js';

export interface MachineFacts {
  cpuCores: number;
  memoryBytes: number;
  kernelVersion: string;
  osImage: string;
  architecture: string;
  machineID: string;
  bootID: string;
  hostname: string;
}

export async function machineFacts(): Promise<MachineFacts> {
  const read = (p: string) => readFile(p, 'utf8').then((s) => s.trim(), () => '');
  const osRelease = await read('/etc/os-release');
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(osRelease)?.[1] ?? 'Linux';
  return {
    cpuCores: os.cpus().length,
    memoryBytes: os.totalmem(),
    kernelVersion: os.release(),
    osImage: pretty,
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
    machineID: (await read('/etc/machine-id')) || (await read('/var/lib/dbus/machine-id')),
    bootID: await read('/proc/sys/kernel/random/boot_id'),
    hostname: os.hostname(),
  };
}

export const KUBELET_VERSION = 'v1.32.0-kujira';
export const MAX_PODS = 110;

export interface NodeIdentity {
  nodeName: string;
  nodeIP: string;
  kubeletPort: number;
  podCIDR?: string;
  runtimeVersion: string;
  facts: MachineFacts;
}

function kib(bytes: number): string {
  return `${Math.floor(bytes / 1024)}Ki`;
}

export type NodeProblem = { type: 'Ready'; reason: string; message: string } | null;

/** The node status the agent reports: capacity, allocatable, conditions, addresses, node info. */
export function nodeStatus(id: NodeIdentity, previous: core.NodeStatus | undefined, now: number, runtimeProblem: string | null): core.NodeStatus {
  const capacity = { cpu: String(id.facts.cpuCores), memory: kib(id.facts.memoryBytes), pods: String(MAX_PODS), 'ephemeral-storage': kib(os.totalmem()) };
  const transition = (type: string, status: string) => {
    const before = previous?.conditions?.find((c) => c.type === type);
    return before && before.status === status && before.lastTransitionTime ? before.lastTransitionTime : rfc3339(now);
  };
  const cond = (type: string, status: string, reason: string, message: string): core.NodeCondition => ({
    type, status, lastHeartbeatTime: rfc3339(now), lastTransitionTime: transition(type, status), reason, message,
  });
  return {
    capacity,
    allocatable: { ...capacity },
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      runtimeProblem
        ? cond('Ready', 'False', 'KubeletNotReady', `container runtime is down: ${runtimeProblem}`)
        : cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    addresses: [{ type: 'InternalIP', address: id.nodeIP }, { type: 'Hostname', address: id.nodeName }],
    daemonEndpoints: { kubeletEndpoint: { Port: id.kubeletPort } },
    nodeInfo: {
      machineID: id.facts.machineID, systemUUID: id.facts.machineID, bootID: id.facts.bootID,
      kernelVersion: id.facts.kernelVersion, osImage: id.facts.osImage, containerRuntimeVersion: id.runtimeVersion,
      kubeletVersion: KUBELET_VERSION, kubeProxyVersion: '', operatingSystem: 'linux', architecture: id.facts.architecture,
    },
  };
}

export function nodeObject(id: NodeIdentity, now: number): core.Node {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: id.nodeName,
      labels: {
        'kubernetes.io/hostname': id.nodeName, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': id.facts.architecture,
        'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': id.facts.architecture,
      },
    },
    spec: id.podCIDR ? { podCIDR: id.podCIDR, podCIDRs: [id.podCIDR] } : {},
    status: nodeStatus(id, undefined, now, null),
  };
}

/** Creates the Node or, when it exists (an agent restart), refreshes its status. */
export async function registerNode(nodes: ResourceClient<core.Node>, id: NodeIdentity, now: number): Promise<core.Node> {
  try {
    return await nodes.create(undefined, nodeObject(id, now));
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
    return updateNodeStatus(nodes, id, now, null);
  }
}

/** Writes the node's status with PUT (re-reading on a conflict), keeping condition transition times. */
export async function updateNodeStatus(nodes: ResourceClient<core.Node>, id: NodeIdentity, now: number, runtimeProblem: string | null): Promise<core.Node> {
  for (let attempt = 0; ; attempt++) {
    const existing = await nodes.get(undefined, id.nodeName);
    try {
      return await nodes.updateStatus(undefined, { ...existing, status: nodeStatus(id, existing.status, now, runtimeProblem) });
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt >= 3) throw err;
    }
  }
}

export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '000Z');
}

/** Creates or renews the node's Lease in kube-node-lease. */
export async function renewLease(leases: ResourceClient<coordination.Lease>, nodeName: string, node: core.Node | undefined, now: number, durationSeconds: number): Promise<void> {
  const spec: coordination.LeaseSpec = { holderIdentity: nodeName, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) };
  try {
    const lease = await leases.get('kube-node-lease', nodeName);
    await leases.update('kube-node-lease', { ...lease, spec: { ...lease.spec, ...spec } });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    const owner = node?.metadata?.uid ? [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata.uid }] : undefined;
    await leases.create('kube-node-lease', {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: { name: nodeName, namespace: 'kube-node-lease', ...(owner ? { ownerReferences: owner } : {}) },
      spec,
    });
  }
}
