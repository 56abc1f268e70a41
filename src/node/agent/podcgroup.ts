// Pod-level cgroups as the kubelet makes them: <base>/pod<uid> for Guaranteed pods, <base>/burstable/pod<uid> and
// <base>/besteffort/pod<uid> for the others (the kubelet's base is /kubepods; ours is one per agent). The pod's
// sandbox gets it as its cgroup parent, so every container of the pod is capped by the pod's total as well as by
// its own limit. Naming and limits are pure; writing the cgroup files is the I/O at the end.
import { mkdir, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import type { core } from '../../api/types.js';
import { qosClass, type QOSClass } from '../shared/qos.js';
import { podLimits, podRequests, toAmounts } from '../shared/resources.js';
import { CPU_PERIOD_US } from './translate.js';

const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const MIN_QUOTA_US = 1000;

const QOS_DIR: Record<QOSClass, string> = { Guaranteed: '', Burstable: 'burstable', BestEffort: 'besteffort' };

/** The pod's cgroup below the agent's base, e.g. /kujira-1a2b/burstable/pod<uid>. */
export function podCgroupName(base: string, qos: QOSClass, uid: string): string {
  return [base, QOS_DIR[qos], `pod${uid}`].filter(Boolean).join('/');
}

/** Where a pod's cgroup may be when its QoS class is no longer known (a pod deleted while the agent was down). */
export function podCgroupCandidates(base: string, uid: string): string[] {
  return (['Guaranteed', 'Burstable', 'BestEffort'] as const).map((q) => podCgroupName(base, q, uid));
}

export interface PodCgroupLimits {
  cpuShares: number;
  /** Absent: no CFS quota (not every container has a cpu limit). */
  cpuQuotaUs?: number;
  cpuPeriodUs?: number;
  /** Absent: no memory limit (not every container has a memory limit). */
  memoryLimitBytes?: number;
}

/** millicores → cpu.shares (1 core = 1024, between 2 and 262144). */
export function milliCPUToShares(milli: number): number {
  if (milli <= 0) return MIN_SHARES;
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((milli * 1024) / 1000)));
}

/** millicores → CFS quota over the period (at least 1 ms). */
export function milliCPUToQuota(milli: number, periodUs: number): number {
  if (milli <= 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.floor((milli * periodUs) / 1000));
}

/**
 * The kubelet's pod cgroup settings (pure): shares from the pod's cpu requests; quota and memory limit from the sum of
 * its containers' limits, for Guaranteed pods always and for Burstable ones only when every container declares that
 * limit; BestEffort pods get the minimum shares and nothing else.
 * Example: two containers with cpu requests 100m + 100m, limits 200m + 300m, memory limits 32Mi + 16Mi →
 * shares 204, quota 50000/100000, memory 50331648.
 */
export function podCgroupLimits(pod: core.Pod): PodCgroupLimits {
  const qos = qosClass(pod);
  if (qos === 'BestEffort') return { cpuShares: MIN_SHARES };
  const requests = podRequests(pod);
  const limits = podLimits(pod);
  const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
  // Every container, init containers too, must declare the limit for the pod to be capped by it.
  const declared = (name: string) => containers.every((c) => (toAmounts(c.resources?.limits)[name] ?? 0) > 0);
  const out: PodCgroupLimits = { cpuShares: milliCPUToShares(requests['cpu'] ?? 0) };
  if (qos === 'Guaranteed' || declared('cpu')) {
    out.cpuQuotaUs = milliCPUToQuota(limits['cpu'] ?? 0, CPU_PERIOD_US);
    out.cpuPeriodUs = CPU_PERIOD_US;
  }
  if (qos === 'Guaranteed' || declared('memory')) out.memoryLimitBytes = limits['memory'] ?? 0;
  return out;
}

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * Creates the pod's cgroup in every hierarchy and writes its limits where the controller is (cgroup v1 files, or
 * their v2 equivalents). The QoS directory for BestEffort pods gets the minimum shares, as the kubelet gives it.
 */
export async function setUpPodCgroup(roots: string[], base: string, pod: core.Pod): Promise<string> {
  const qos = qosClass(pod);
  const name = podCgroupName(base, qos, pod.metadata?.uid ?? '');
  const limits = podCgroupLimits(pod);
  for (const root of roots) {
    const dir = join(root, name);
    await mkdir(dir, { recursive: true }).catch(() => {});
    const write = async (file: string, value: string, where = dir) => {
      if (await exists(join(where, file))) await writeFile(join(where, file), value);
    };
    if (qos === 'BestEffort') await write('cpu.shares', String(MIN_SHARES), join(root, base, QOS_DIR.BestEffort));
    // v1
    await write('cpu.shares', String(limits.cpuShares));
    if (limits.cpuQuotaUs !== undefined) {
      await write('cpu.cfs_period_us', String(limits.cpuPeriodUs));
      await write('cpu.cfs_quota_us', String(limits.cpuQuotaUs));
    }
    if (limits.memoryLimitBytes !== undefined) await write('memory.limit_in_bytes', String(limits.memoryLimitBytes));
    // v2
    await write('cpu.weight', String(Math.floor(1 + ((limits.cpuShares - MIN_SHARES) * 9999) / (MAX_SHARES - MIN_SHARES))));
    if (limits.cpuQuotaUs !== undefined) await write('cpu.max', `${limits.cpuQuotaUs} ${limits.cpuPeriodUs}`);
    if (limits.memoryLimitBytes !== undefined) await write('memory.max', String(limits.memoryLimitBytes));
  }
  return name;
}
