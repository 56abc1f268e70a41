// bench/scheduler: pods scheduled per second, end to end from create to bound, on
// simulated nodes. Starts `kujira up --runtime simulated --simulated-nodes N` (API server,
// scheduler, simulated nodes and controllers in one process), creates the pods through
// the API as fast as it can from this process, and watches until every one is bound.
// Also measures the scheduling step alone (no API) as the scheduler's own ceiling.
// Before the clock starts, --warmup pods (default 2,000) are created and bound the same way: the
// client's connections are opened and V8 has optimised the create → schedule → bind → run path, as
// in a cluster that has been running for a while (a fresh process runs its first ~2,000 pods at
// about half speed). --warmup 0 measures a cold start.
//
//   node dist/bench/scheduler.js [--nodes 1000] [--pods 10000] [--concurrency 64] [--controllers '*,-metrics-scraper'] [--idle-seconds 15] [--warmup N] [--component-thread auto|true|false]
// Prints a table and one JSON line (prefix `BENCH `).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { ApiError } from '../src/api/errors.js';
import type { core } from '../src/api/types.js';
import { KubeClient, NODES, PODS } from '../src/client/index.js';
import { SchedulerCache } from '../src/scheduler/cache.js';
import { makePodInfo } from '../src/scheduler/framework/nodeinfo.js';
import { schedule, type Scheduling } from '../src/scheduler/framework/schedule.js';
import { defaultProfile } from '../src/scheduler/plugins/registry.js';
import { TestCluster } from '../test/support/cluster.js';
import { useKujiraNodeFlags } from './node-flags.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

/** CPU milliseconds (user + system) a process has used so far. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime in 100 Hz ticks
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

/** The scheduling step alone (cache + filters + scores + assume), no API: its ceiling. */
function algorithmOnly(nodeCount: number, podCount: number): { podsPerSecond: number; seconds: number } {
  const cache = new SchedulerCache();
  for (let i = 1; i <= nodeCount; i++) {
    const alloc = { cpu: '4', memory: '8Gi', pods: '110' };
    cache.setNode({ metadata: { name: `n${i}`, labels: { 'kubernetes.io/hostname': `n${i}` } }, spec: {}, status: { allocatable: alloc, capacity: alloc, conditions: [{ type: 'Ready', status: 'True' }] } });
  }
  const state: Scheduling = { profile: defaultProfile(), nextStartIndex: 0, random: Math.random };
  const t0 = performance.now();
  for (let i = 0; i < podCount; i++) {
    const pod: core.Pod = {
      metadata: { name: `p${i}`, namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: `rs-${i % 10}`, controller: true }] },
      spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    };
    const info = makePodInfo(pod);
    const r = schedule(state, info, cache.nodeInfos());
    if (r.kind === 'scheduled') cache.assume(info, r.node);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { podsPerSecond: Math.round(podCount / seconds), seconds: Number(seconds.toFixed(2)) };
}

/** Waits until metrics.k8s.io lists every node (false: no metrics API, or not within the deadline). */
async function waitForNodeMetrics(client: KubeClient, nodeCount: number, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    try {
      const list = await client.request<{ items?: unknown[] }>({ method: 'GET', path: '/apis/metrics.k8s.io/v1beta1/nodes' });
      if ((list.items?.length ?? 0) >= nodeCount) return true;
    } catch (err) {
      // 404: the metrics scraper is not running (--controllers); 503: not ready yet.
      if (err instanceof ApiError && err.code === 404) return false;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

async function main(): Promise<void> {
  const nodeCount = arg('nodes', 1000);
  const podCount = arg('pods', 10_000);
  const concurrency = arg('concurrency', 64);
  const idleSeconds = arg('idle-seconds', 15);
  const warmup = arg('warmup', 2000);
  const ci = process.argv.indexOf('--controllers');
  const controllers = ci >= 0 ? process.argv[ci + 1]! : '*';
  const ti = process.argv.indexOf('--component-thread');
  const componentThread = ti >= 0 ? process.argv[ti + 1]! : 'auto';
  const ns = 'default';
  const nodeFlags = useKujiraNodeFlags();
  const loadAvg1m = Number(loadavg()[0]!.toFixed(2));
  const algo = algorithmOnly(nodeCount, podCount);
  console.log(`scheduling step alone: ${podCount} pods on ${nodeCount} nodes in ${algo.seconds}s = ${algo.podsPerSecond} pods/s`);
  const t0 = performance.now();
  const cluster = await TestCluster.start({ extraArgs: [`--controllers=${controllers}`, '--runtime', 'simulated', '--simulated-nodes', String(nodeCount), '--component-thread', componentThread], timeoutMs: 120_000 });
  const client = KubeClient.fromKubeconfig(cluster.kubeconfig);
  try {
    const nodesApi = client.resource(NODES);
    for (;;) {
      if (performance.now() - t0 > 180_000) throw new Error(`${nodeCount} simulated nodes not Ready within 3 minutes (is simulated-nodes among --controllers?)`);
      const { items } = await nodesApi.listAll(undefined);
      const ready = items.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
      if (ready >= nodeCount) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const nodesReadyMs = performance.now() - t0;
    // The metrics pipeline's first round over new nodes opens a TLS connection to each kubelet
    // (1,000 handshakes, seconds of CPU once per process); it is start-up, like registering the
    // nodes, so the timed part starts when every node has metrics (later rounds reuse connections).
    const metricsWarm = await waitForNodeMetrics(client, nodeCount, 60_000);
    const metricsWarmMs = performance.now() - t0;
    // kujira's CPU while nothing is created (1,000 nodes' lease renewals, a metrics round): the
    // time-based part of the per-pod figure, which grows when a loaded machine stretches the run.
    let idleCpuMsPerSecond: number | null = null;
    if (idleSeconds > 0) {
      const idleCpu0 = cpuMs(cluster.pid);
      const idle0 = performance.now();
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      idleCpuMsPerSecond = (cpuMs(cluster.pid) - idleCpu0) / ((performance.now() - idle0) / 1000);
    }
    const idleRss = rssMiB(cluster.pid);

    const pods = client.resource(PODS);
    /** Creates `count` pods labelled bench=`label` from `concurrency` workers; resolves when every one is bound. */
    const createAndBind = async (label: string, count: number): Promise<{ created: number; end: number }> => {
      let bound = 0;
      let done!: () => void;
      const allBound = new Promise<void>((resolve) => (done = resolve));
      const seen = new Set<string>();
      const watch = pods.watch(ns, { resourceVersion: '0', labelSelector: `bench=${label}` });
      void (async () => {
        try {
          for await (const ev of watch) {
            const p = ev.object as core.Pod;
            const name = p.metadata?.name ?? '';
            if (p.spec?.nodeName && !seen.has(name)) {
              seen.add(name);
              if (++bound === count) done();
            }
          }
        } catch (err) {
          process.stderr.write(`bench: watch: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      })();
      let next = 0;
      const template = (i: number): core.Pod => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${label}-${i}`, namespace: ns, labels: { bench: label } },
        spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      });
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) {
            const i = next++;
            await pods.create(ns, template(i));
          }
        }),
      );
      const created = performance.now();
      await allBound;
      const end = performance.now();
      watch.close();
      return { created, end };
    };

    // Not timed: the client opens its connections (TLS handshakes) and the create → schedule → bind
    // → run path gets compiled, as in a cluster that has been running for a while.
    if (warmup > 0) await createAndBind('warmup', warmup);

    const start = performance.now();
    const cpuStart = cpuMs(cluster.pid);
    const benchCpuStart = process.cpuUsage();
    const { created, end } = await createAndBind('scheduler', podCount);

    const serverCpuMsPerPod = (cpuMs(cluster.pid) - cpuStart) / podCount;
    const benchCpu = process.cpuUsage(benchCpuStart);
    const seconds = (end - start) / 1000;
    const result = {
      bench: 'scheduler',
      nodes: nodeCount,
      controllers,
      componentThread,
      pods: podCount,
      /** Pods created and bound before the timed part (connections opened, code paths compiled). */
      warmupPods: warmup,
      seconds: Number(seconds.toFixed(2)),
      podsPerSecond: Math.round(podCount / seconds),
      createPerSecond: Math.round(podCount / ((created - start) / 1000)),
      /** kujira's CPU time (every component) from the first create to the last pod bound, per pod. */
      serverCpuMsPerPod: Number(serverCpuMsPerPod.toFixed(2)),
      /** kujira's CPU per second before the pods (idle cluster, --idle-seconds), and the per-pod figure less that rate over the run. */
      serverIdleCpuMsPerSecond: idleCpuMsPerSecond === null ? null : Math.round(idleCpuMsPerSecond),
      serverCpuMsPerPodAboveIdle: idleCpuMsPerSecond === null ? null : Number((serverCpuMsPerPod - (idleCpuMsPerSecond * seconds) / podCount).toFixed(2)),
      /** This process's CPU (creating over HTTPS, the watch, the scheduling-step run is before) per pod: it shares the cores. */
      benchCpuMsPerPod: Number(((benchCpu.user + benchCpu.system) / 1000 / podCount).toFixed(2)),
      nodesReadySeconds: Number((nodesReadyMs / 1000).toFixed(2)),
      /** When every node had metrics (the metrics pipeline's first full round), or null when it never did: the timed part starts after it. */
      metricsWarmSeconds: metricsWarm ? Number((metricsWarmMs / 1000).toFixed(2)) : null,
      serverIdleRssMiB: idleRss,
      serverRssMiB: rssMiB(cluster.pid),
      algorithmOnlyPodsPerSecond: algo.podsPerSecond,
      /** Node flags kujira ran with (bin/kujira's, plus KUJIRA_CHILD_NODE_ARGS). */
      nodeFlags,
      loadAvg1m,
      date: new Date().toISOString(),
    };
    console.log(`| nodes | pods | seconds | pods/s (create→bound) | creates/s | kujira CPU ms per pod | kujira RSS MiB (idle → after) | scheduling step alone, pods/s |`);
    console.log(`|---|---|---|---|---|---|---|---|`);
    console.log(`| ${nodeCount} | ${podCount} | ${result.seconds} | ${result.podsPerSecond} | ${result.createPerSecond} | ${result.serverCpuMsPerPod} | ${idleRss} → ${result.serverRssMiB} | ${algo.podsPerSecond} |`);
    console.log(`BENCH ${JSON.stringify(result)}`);
  } finally {
    client.close();
    await cluster.dispose();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
