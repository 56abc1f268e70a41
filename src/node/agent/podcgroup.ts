// Pod-level cgroups as the kubelet makes them: <base>/pod<uid> for Guaranteed pods, <base>/burstable/pod<uid> and
// <base>/besteffort/pod<uid> for the others (the kubelet's base is /kubepods; ours is one per agent). The pod's
// sandbox gets it as its cgroup parent, so every container of the pod is capped by the pod's total as well as by
// its own limit. Naming and limits are pure; writing the cgroup files is the I/O at the end.
import { mkdir, writeFile, access, readFile } from 'node:fs/promises';
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

/** cgroup v1 cpu.shares → the v2 cpu.weight the runtime derives from them (2…262144 onto 1…10000). */
export function sharesToWeight(shares: number): number {
  return Math.floor(1 + ((shares - MIN_SHARES) * 9999) / (MAX_SHARES - MIN_SHARES));
}

export interface QOSCgroupShares {
  burstable: number;
  besteffort: number;
}

/** Pods the QoS cgroups are sized for: as the kubelet's active pods, a pod that ended counts only while it is being deleted. */
export function activeForQOS(pod: core.Pod): boolean {
  const phase = pod.status?.phase;
  return !(phase === 'Succeeded' || phase === 'Failed') || pod.metadata?.deletionTimestamp !== undefined;
}

/**
 * The kubelet's QoS cgroup cpu settings (pure): `burstable` gets the shares of the summed cpu requests of every
 * Burstable pod (summed in millicores, then converted, so 100m + 250m → 358, not 102 + 256), `besteffort` the minimum.
 * Guaranteed and BestEffort pods add nothing; no Burstable pod at all gives the minimum too.
 */
export function qosCgroupShares(pods: core.Pod[]): QOSCgroupShares {
  let milli = 0;
  for (const pod of pods) {
    if (!activeForQOS(pod) || qosClass(pod) !== 'Burstable') continue;
    milli += podRequests(pod)['cpu'] ?? 0;
  }
  return { burstable: milliCPUToShares(milli), besteffort: MIN_SHARES };
}

const exists = (path: string) => access(path).then(() => true, () => false);

/**
 * Creates the pod's cgroup in every hierarchy and writes its limits where the controller is (cgroup v1 files, or
 * their v2 equivalents). The QoS directories' own shares are applyQOSCgroupShares' job.
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
    // v1
    await write('cpu.shares', String(limits.cpuShares));
    if (limits.cpuQuotaUs !== undefined) {
      await write('cpu.cfs_period_us', String(limits.cpuPeriodUs));
      await write('cpu.cfs_quota_us', String(limits.cpuQuotaUs));
    }
    if (limits.memoryLimitBytes !== undefined) await write('memory.limit_in_bytes', String(limits.memoryLimitBytes));
    // v2
    await write('cpu.weight', String(sharesToWeight(limits.cpuShares)));
    if (limits.cpuQuotaUs !== undefined) await write('cpu.max', `${limits.cpuQuotaUs} ${limits.cpuPeriodUs}`);
    if (limits.memoryLimitBytes !== undefined) await write('memory.max', String(limits.memoryLimitBytes));
  }
  return name;
}

/**
 * Makes the QoS cgroups (burstable/, besteffort/ below the base) in every hierarchy and sets their cpu.shares (v1) or
 * cpu.weight (v2) where the cpu controller is, writing only a value that differs from the file's. Returns the files
 * written.
 */
export async function applyQOSCgroupShares(roots: string[], base: string, shares: QOSCgroupShares): Promise<string[]> {
  const written: string[] = [];
  const settle = async (file: string, value: string) => {
    let current: string;
    try { current = (await readFile(file, 'utf8')).trim(); } catch { return; } // no cpu controller in this hierarchy
    if (current === value) return;
    await writeFile(file, value);
    written.push(file);
  };
  for (const root of roots) {
    for (const [qos, value] of [['Burstable', shares.burstable], ['BestEffort', shares.besteffort]] as const) {
      const dir = join(root, base, QOS_DIR[qos]);
      await mkdir(dir, { recursive: true }).catch(() => {});
      await settle(join(dir, 'cpu.shares'), String(value));
      await settle(join(dir, 'cpu.weight'), String(sharesToWeight(value)));
    }
  }
  return written;
}
