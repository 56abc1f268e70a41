import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { core } from '../../api/types.js';
import {
  applyQOSCgroupShares, milliCPUToQuota, milliCPUToShares, podCgroupCandidates, podCgroupLimits, podCgroupName, qosCgroupShares,
  sharesToWeight, type PodCgroupLimits, type QOSCgroupShares,
} from './podcgroup.js';

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

describe('qosCgroupShares', () => {
  const withStatus = (p: core.Pod, phase: string, deleting = false): core.Pod =>
    ({ ...p, metadata: { ...p.metadata, ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) }, status: { phase } });
  const burstable = (cpu: string) => pod([ctr('a', { cpu })]);
  const cases: { name: string; pods: core.Pod[]; want: QOSCgroupShares }[] = [
    { name: 'no pods: minimum for both', pods: [], want: { burstable: 2, besteffort: 2 } },
    { name: 'one Burstable pod: its own shares', pods: [burstable('250m')], want: { burstable: 256, besteffort: 2 } },
    { name: 'two Burstable pods: the shares of the summed requests', pods: [burstable('100m'), burstable('250m')], want: { burstable: 358, besteffort: 2 } },
    // Summed in millicores before converting: 3 × 1m → 3 shares, where summing each pod's shares would give 3 × 2.
    { name: 'tiny requests sum before the minimum applies', pods: [burstable('1m'), burstable('1m'), burstable('1m')], want: { burstable: 3, besteffort: 2 } },
    {
      name: 'Guaranteed and BestEffort pods add nothing',
      pods: [burstable('500m'), pod([ctr('a', {}, { cpu: '1', memory: '64Mi' })]), pod([ctr('a')])],
      want: { burstable: 512, besteffort: 2 },
    },
    { name: 'a Burstable pod with a memory request only adds no cpu', pods: [pod([ctr('a', { memory: '16Mi' })])], want: { burstable: 2, besteffort: 2 } },
    {
      name: 'an init container larger than the app containers counts as the pod\'s request',
      pods: [pod([ctr('a', { cpu: '100m' })], [ctr('init', { cpu: '1' })]), burstable('500m')],
      want: { burstable: 1536, besteffort: 2 },
    },
    { name: 'a pod that ended counts no more', pods: [withStatus(burstable('500m'), 'Succeeded'), burstable('250m')], want: { burstable: 256, besteffort: 2 } },
    { name: 'a pod that ended and is being deleted still counts', pods: [withStatus(burstable('500m'), 'Failed', true)], want: { burstable: 512, besteffort: 2 } },
    { name: 'a running pod being deleted still counts', pods: [withStatus(burstable('500m'), 'Running', true)], want: { burstable: 512, besteffort: 2 } },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(qosCgroupShares(c.pods), c.want));
});

describe('sharesToWeight', () => {
  const cases = [[2, 1], [1024, 39], [358, 14], [262_144, 10_000]] as const;
  for (const [shares, want] of cases) it(`${shares} shares → weight ${want}`, () => assert.equal(sharesToWeight(shares), want));
});

describe('applyQOSCgroupShares', () => {
  // Plain directories stand in for the hierarchies: a cpu controller is where its file already is.
  const setUp = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'qos-'));
    const v1 = join(dir, 'cpu');
    const v2 = join(dir, 'unified');
    const memory = join(dir, 'memory');
    for (const qos of ['burstable', 'besteffort']) {
      await mkdir(join(v1, 'kujira-ab', qos), { recursive: true });
      await writeFile(join(v1, 'kujira-ab', qos, 'cpu.shares'), '1024\n');
      await mkdir(join(v2, 'kujira-ab', qos), { recursive: true });
      await writeFile(join(v2, 'kujira-ab', qos, 'cpu.weight'), '100\n');
    }
    return { dir, roots: [v1, v2, memory] };
  };
  const read = (path: string) => readFile(path, 'utf8').then((s) => s.trim());

  it('writes the shares (v1) and weight (v2), makes the QoS directories, then writes nothing while unchanged', async () => {
    const { dir, roots } = await setUp();
    try {
      const first = await applyQOSCgroupShares(roots, '/kujira-ab', { burstable: 358, besteffort: 2 });
      assert.equal(first.length, 4);
      assert.equal(await read(join(dir, 'cpu/kujira-ab/burstable/cpu.shares')), '358');
      assert.equal(await read(join(dir, 'cpu/kujira-ab/besteffort/cpu.shares')), '2');
      assert.equal(await read(join(dir, 'unified/kujira-ab/burstable/cpu.weight')), '14');
      assert.equal(await read(join(dir, 'unified/kujira-ab/besteffort/cpu.weight')), '1');
      // A hierarchy without the cpu controller gets the directories but no cpu files.
      await assert.rejects(readFile(join(dir, 'memory/kujira-ab/burstable/cpu.shares')), /ENOENT/);
      assert.ok((await stat(join(dir, 'memory/kujira-ab/besteffort'))).isDirectory());
      assert.deepEqual(await applyQOSCgroupShares(roots, '/kujira-ab', { burstable: 358, besteffort: 2 }), []);
      // A pod gone: only the burstable files change.
      const dropped = await applyQOSCgroupShares(roots, '/kujira-ab', { burstable: 256, besteffort: 2 });
      assert.deepEqual(dropped.map((f) => f.slice(dir.length)).sort(), ['/cpu/kujira-ab/burstable/cpu.shares', '/unified/kujira-ab/burstable/cpu.weight']);
      assert.equal(await read(join(dir, 'cpu/kujira-ab/burstable/cpu.shares')), '256');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
