// bench/controllers: how fast the controllers drive large Deployments, through the
// API of a real `kujira up` (pods made Running/Ready by simulated nodes, or by the
// test kubelet when the cluster has none).
//   node dist/bench/controllers/run.js [--replicas 1000] [--delete-pods 10000] [--simulated-nodes 100]
// With --simulated-nodes N the whole of `kujira up` runs (controller manager, scheduler,
// N simulated nodes); without it, the API server alone with our controllers and the test kubelet.
import { performance } from 'node:perf_hooks';
import type { apps, core } from '../../src/api/types.js';
import { DEPLOYMENTS, Informer, PODS } from '../../src/client/index.js';
import { KujiraUp } from '../../test/support/controllers-cluster.js';

/** Polls every 100 ms: often enough for the targets, rare enough not to load the server we measure. */
async function until(probe: () => Promise<boolean>, what: string, ms = 600_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const replicas = arg('replicas', 1000);
const deletePods = arg('delete-pods', 10000);
const simulatedNodes = arg('simulated-nodes', 0);

function deployment(name: string, n: number, image: string): apps.Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: n,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
    },
  };
}

async function main(): Promise<void> {
  const c = await KujiraUp.start(simulatedNodes > 0 ? { fullStack: { simulatedNodes } } : { readyDelayMs: 0 });
  const deploys = c.client.resource(DEPLOYMENTS);
  const pods = c.client.resource(PODS);
  const results: Array<[string, number, number]> = [];
  const complete = (name: string, n: number, image: string) =>
    until(
      async () => {
        const d = await deploys.get('default', name);
        const s = d.status;
        return (
          (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 1) &&
          s?.updatedReplicas === n &&
          s?.availableReplicas === n &&
          s?.replicas === n &&
          d.spec?.template?.spec?.containers[0].image === image
        );
      },
      `${name} complete`,
      600_000,
    );
  try {
    let t = performance.now();
    await deploys.create('default', deployment('big', replicas, 'nginx:1.25'));
    await complete('big', replicas, 'nginx:1.25');
    results.push([`${replicas}-replica Deployment to all available`, performance.now() - t, 5000]);

    t = performance.now();
    await deploys.patch('default', 'big', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:1.26' }] } } } }, 'strategic');
    await complete('big', replicas, 'nginx:1.26');
    results.push([`rolling update of ${replicas} replicas`, performance.now() - t, 15000]);

    await deploys.create('default', deployment('huge', deletePods, 'nginx:1.25'));
    await complete('huge', deletePods, 'nginx:1.25');
    // Count the pods through a watch: polling a 10,000-pod list would load the server we are measuring.
    const remaining = new Informer<core.Pod>(pods, { namespace: 'default', labelSelector: 'app=huge' });
    remaining.start();
    await remaining.waitForSync();
    t = performance.now();
    await deploys.delete('default', 'huge');
    await until(async () => remaining.cache.size === 0, 'huge pods gone');
    await remaining.stop();
    results.push([`delete a ${deletePods}-pod Deployment with its pods`, performance.now() - t, 20000]);
  } finally {
    await c.stop();
  }
  for (const [what, ms, target] of results) console.log(`${what}: ${(ms / 1000).toFixed(2)} s (target ≤ ${target / 1000} s)`);
}

await main();
