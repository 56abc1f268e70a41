import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { core } from '../../api/types.js';
import { milliCPUToQuota, milliCPUToShares, podCgroupCandidates, podCgroupLimits, podCgroupName, type PodCgroupLimits } from './podcgroup.js';

const ctr = (name: string, requests: Record<string, string> = {}, limits: Record<string, string> = {}): core.Container => ({ name, resources: { requests, limits } });
const pod = (containers: core.Container[], initContainers: core.Container[] = []): core.Pod => ({ metadata: { uid: 'u1' }, spec: { containers, initContainers } });

describe('podCgroupLimits', () => {
  const cases: { name: string; pod: core.Pod; want: PodCgroupLimits }[] = [
    { name: 'BestEffort: minimum shares only', pod: pod([ctr('a')]), want: { cpuShares: 2 } },
    {
      name: 'Guaranteed: shares, quota and memory from the sums',
      pod: pod([ctr('a', {}, { cpu: '250m', memory: '64Mi' }), ctr('b', {}, { cpu: '250m', memory: '32Mi' })]),
      want: { cpuShares: 512, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000, memoryLimitBytes: 96 * 1024 * 1024 },
    },
    {
      name: 'Burstable with every limit declared: capped at the sums',
      pod: pod([ctr('a', { cpu: '100m' }, { cpu: '200m', memory: '32Mi' }), ctr('b', { cpu: '100m' }, { cpu: '300m', memory: '16Mi' })]),
      want: { cpuShares: 204, cpuQuotaUs: 50_000, cpuPeriodUs: 100_000, memoryLimitBytes: 48 * 1024 * 1024 },
    },
    {
      name: 'Burstable with one container unlimited: shares only',
      pod: pod([ctr('a', { cpu: '100m' }, { cpu: '200m', memory: '32Mi' }), ctr('b', { cpu: '100m' })]),
      want: { cpuShares: 204 },
    },
    {
      name: 'Burstable with memory limits only: memory capped, no quota',
      pod: pod([ctr('a', { memory: '16Mi' }, { memory: '32Mi' })]),
      want: { cpuShares: 2, memoryLimitBytes: 32 * 1024 * 1024 },
    },
    {
      name: 'an init container larger than the app containers sets the cap',
      pod: pod([ctr('a', { cpu: '100m' }, { cpu: '100m', memory: '16Mi' })], [ctr('init', { cpu: '100m' }, { cpu: '1', memory: '64Mi' })]),
      want: { cpuShares: 102, cpuQuotaUs: 100_000, cpuPeriodUs: 100_000, memoryLimitBytes: 64 * 1024 * 1024 },
    },
    {
      name: 'an init container without limits leaves a Burstable pod uncapped',
      pod: pod([ctr('a', { cpu: '100m' }, { cpu: '200m', memory: '16Mi' })], [ctr('init')]),
      want: { cpuShares: 102 },
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(podCgroupLimits(c.pod), c.want));
});

describe('shares and quota', () => {
  const shares = [[0, 2], [1, 2], [100, 102], [250, 256], [1000, 1024], [1_000_000, 262_144]] as const;
  for (const [milli, want] of shares) it(`${milli}m → ${want} shares`, () => assert.equal(milliCPUToShares(milli), want));
  const quotas = [[0, 0], [5, 1000], [250, 25_000], [2000, 200_000]] as const;
  for (const [milli, want] of quotas) it(`${milli}m → quota ${want}`, () => assert.equal(milliCPUToQuota(milli, 100_000), want));
});

describe('podCgroupName', () => {
  const cases = [
    { qos: 'Guaranteed' as const, want: '/kujira-ab/podu1' },
    { qos: 'Burstable' as const, want: '/kujira-ab/burstable/podu1' },
    { qos: 'BestEffort' as const, want: '/kujira-ab/besteffort/podu1' },
  ];
  for (const c of cases) it(c.qos, () => assert.equal(podCgroupName('/kujira-ab', c.qos, 'u1'), c.want));
  it('candidates cover every class', () => assert.deepEqual(podCgroupCandidates('/kujira-ab', 'u1'), cases.map((c) => c.want)));
});
