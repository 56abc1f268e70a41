// The kubelet Summary API (`GET /stats/summary`) for one simulated node: what each running
// container uses, as its pod's sim.kujira.io/cpu and sim.kujira.io/memory annotations say,
// summed per pod and per node. Read live on every request, so annotating a pod changes the
// next scrape. Pure: the node manager passes in the pods and their containers' start times.
//
// Worked example: two pods with `sim.kujira.io/cpu: 900m` and one container each on
// kujira-sim-1 → containers report usageNanoCores 900000000, each pod the same, the node
// 1800000000 (plus nothing else: a simulated node has no system overhead).
import type { core } from '../../api/types.js';
import type { ContainerStats, CpuStats, MemoryStats, PodStats, Summary } from '../../autoscaling/metrics/summary.js';

/** One running container's usage: millicores, bytes, and when this instance started (epoch ms). */
export interface RunningContainerUsage {
  name: string;
  cpu: number;
  memory: number;
  startedAt: number;
}

export interface SimulatedPodUsage {
  pod: core.Pod;
  /** Only the containers running now; an empty list leaves the pod out. */
  containers: RunningContainerUsage[];
}

export interface NodeSummaryInput {
  nodeName: string;
  /** When the node came up (epoch ms). */
  nodeStartedAt: number;
  pods: SimulatedPodUsage[];
  now: number;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function cpuStats(milli: number, since: number, now: number): Required<CpuStats> {
  const nanoCores = Math.round(milli * 1e6);
  // Cumulative CPU time as if the rate had been steady since the start.
  return { time: iso(now), usageNanoCores: nanoCores, usageCoreNanoSeconds: Math.round((nanoCores * Math.max(0, now - since)) / 1000) };
}

function memoryStats(bytes: number, now: number): Required<MemoryStats> {
  return { time: iso(now), workingSetBytes: bytes, usageBytes: bytes };
}

/** The Summary a kubelet would answer for this node. */
export function simulatedSummary(input: NodeSummaryInput): Summary {
  const { now } = input;
  const pods: PodStats[] = [];
  let nodeCpu = 0;
  let nodeCpuTime = 0;
  let nodeMemory = 0;
  for (const { pod, containers } of input.pods) {
    if (containers.length === 0) continue;
    const stats: ContainerStats[] = containers.map((c) => ({
      name: c.name,
      startTime: iso(c.startedAt),
      cpu: cpuStats(c.cpu, c.startedAt, now),
      memory: memoryStats(c.memory, now),
    }));
    const podCpu = containers.reduce((s, c) => s + c.cpu, 0);
    const podCpuTime = stats.reduce((s, c) => s + (c.cpu?.usageCoreNanoSeconds ?? 0), 0);
    const podMemory = containers.reduce((s, c) => s + c.memory, 0);
    const startTime = pod.status?.startTime ? Date.parse(pod.status.startTime) : Math.min(...containers.map((c) => c.startedAt));
    pods.push({
      podRef: { name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? '', uid: pod.metadata?.uid ?? '' },
      startTime: iso(Number.isNaN(startTime) ? now : startTime),
      containers: stats,
      cpu: { time: iso(now), usageNanoCores: Math.round(podCpu * 1e6), usageCoreNanoSeconds: podCpuTime },
      memory: memoryStats(podMemory, now),
    });
    nodeCpu += podCpu;
    nodeCpuTime += podCpuTime;
    nodeMemory += podMemory;
  }
  return {
    node: {
      nodeName: input.nodeName,
      startTime: iso(input.nodeStartedAt),
      cpu: { time: iso(now), usageNanoCores: Math.round(nodeCpu * 1e6), usageCoreNanoSeconds: nodeCpuTime },
      memory: memoryStats(nodeMemory, now),
    },
    pods,
  };
}
