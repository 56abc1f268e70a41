// bench/scheduler: pods scheduled per second, end to end from create to bound, on
// simulated nodes. Starts `kujira up` (the API server, a separate process), then runs
// the simulated nodes and the scheduler in this process, creates the pods through the
// API as fast as it can, and watches until every one is bound.
//
//   node dist/bench/scheduler.js [--nodes 1000] [--pods 10000] [--concurrency 64]
// Prints a table and one JSON line (prefix `BENCH `).
import { readFileSync } from 'node:fs';
import type { core } from '../src/api/types.js';
import { KubeClient, PODS } from '../src/client/index.js';
import { startSimulatedNodes } from '../src/node/sim/index.js';
import { startScheduler } from '../src/scheduler/index.js';
import { Kujira } from '../test/e2e/scheduler-harness.js';

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

async function main(): Promise<void> {
  const nodeCount = arg('nodes', 1000);
  const podCount = arg('pods', 10_000);
  const concurrency = arg('concurrency', 64);
  const ns = 'default';
  const cluster = await Kujira.up(['--runtime', 'simulated'], 60_000);
  const client = KubeClient.fromKubeconfig(cluster.kubeconfig);
  const quiet = { onError: (e: unknown) => process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`) };
  try {
    const t0 = performance.now();
    const sim = startSimulatedNodes({ client, count: nodeCount, options: { logs: false, ...quiet } });
    await sim.ready;
    const nodesReadyMs = performance.now() - t0;
    const scheduler = startScheduler({ client, options: { events: true, ...quiet } });
    await scheduler.ready;

    const pods = client.resource(PODS);
    let bound = 0;
    let done!: () => void;
    const allBound = new Promise<void>((resolve) => (done = resolve));
    const seen = new Set<string>();
    const watch = pods.watch(ns, { resourceVersion: '0', labelSelector: 'bench=scheduler' });
    void (async () => {
      try {
        for await (const ev of watch) {
          const p = ev.object as core.Pod;
          const name = p.metadata?.name ?? '';
          if (p.spec?.nodeName && !seen.has(name)) {
            seen.add(name);
            if (++bound === podCount) done();
          }
        }
      } catch (err) {
        quiet.onError(err);
      }
    })();

    const start = performance.now();
    let next = 0;
    const template = (i: number): core.Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `bench-${i}`, namespace: ns, labels: { bench: 'scheduler' } },
      spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
    });
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < podCount) {
          const i = next++;
          await pods.create(ns, template(i));
        }
      }),
    );
    const created = performance.now();
    await allBound;
    const end = performance.now();
    watch.close();
    const seconds = (end - start) / 1000;
    const result = {
      bench: 'scheduler',
      nodes: nodeCount,
      pods: podCount,
      seconds: Number(seconds.toFixed(2)),
      podsPerSecond: Math.round(podCount / seconds),
      createPerSecond: Math.round(podCount / ((created - start) / 1000)),
      nodesReadySeconds: Number((nodesReadyMs / 1000).toFixed(2)),
      serverRssMiB: rssMiB(cluster.pid),
      benchProcessRssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024),
      stats: scheduler.stats(),
    };
    console.log(`| nodes | pods | seconds | pods/s (create→bound) | creates/s | server RSS MiB | sim+scheduler RSS MiB |`);
    console.log(`|---|---|---|---|---|---|---|`);
    console.log(`| ${nodeCount} | ${podCount} | ${result.seconds} | ${result.podsPerSecond} | ${result.createPerSecond} | ${result.serverRssMiB} | ${result.benchProcessRssMiB} |`);
    console.log(`BENCH ${JSON.stringify(result)}`);
    await scheduler.stop();
    await sim.stop();
  } finally {
    client.close();
    await cluster.down();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
