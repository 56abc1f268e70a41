// `kubectl top` through the real kubectl against a full `kujira up` with two simulated nodes:
// the metrics pipeline scrapes each node's /stats/summary every second and serves
// metrics.k8s.io/v1beta1; the pods report what their sim.kujira.io annotations say.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster, eventually as poll } from '../support/cluster.js';

async function eventually<T>(check: () => Promise<T | false | undefined>, what: string, timeoutMs = 20_000, intervalMs = 200): Promise<T> {
  return (await poll(check, what, timeoutMs, intervalMs)) as T;
}

/** Two-container pods pinned to kujira-sim-1: 250m + 250m cpu, 64Mi + 64Mi memory each. */
const busy = `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: busy
spec:
  replicas: 2
  selector:
    matchLabels: {app: busy}
  template:
    metadata:
      labels: {app: busy, tier: web}
      annotations:
        sim.kujira.io/cpu: 250m
        sim.kujira.io/memory: 64Mi
    spec:
      nodeSelector: {kubernetes.io/hostname: kujira-sim-1}
      containers:
        - name: web
          image: nginx:1.25
        - name: sidecar
          image: busybox:1.36
`;

/** One pod on kujira-sim-2: 100m, 32Mi. */
const quiet = `
apiVersion: v1
kind: Pod
metadata:
  name: quiet
  labels: {app: quiet, tier: web}
  annotations:
    sim.kujira.io/cpu: 100m
    sim.kujira.io/memory: 32Mi
spec:
  nodeSelector: {kubernetes.io/hostname: kujira-sim-2}
  containers:
    - name: main
      image: nginx:1.25
`;

/** Rows of a kubectl table, split on runs of 2+ spaces. */
function rows(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));
}

describe('kubectl top on simulated nodes', () => {
  let c: TestCluster;
  let busyPods: string[] = [];

  before(async () => {
    c = await TestCluster.start({ extraArgs: ['--controllers=*', '--runtime', 'simulated', '--simulated-nodes', '2', '--metric-resolution', '1s'] });
    await c.k(['create', 'namespace', 'empty']);
    await c.k(['apply', '-f', '-'], { input: busy });
    await c.k(['apply', '-f', '-'], { input: quiet });
    busyPods = await eventually(async () => {
      const list = JSON.parse(await c.k(['get', 'pods', '-l', 'app=busy', '-o', 'json'])) as { items: Array<{ metadata: { name: string }; status: { phase?: string } }> };
      return list.items.length === 2 && list.items.every((p) => p.status.phase === 'Running') && list.items.map((p) => p.metadata.name).sort();
    }, 'busy pods running');
    // Every pod has figures once a scrape has seen them running.
    await eventually(async () => rows(await c.k(['top', 'pods', '--no-headers'])).length === 3, 'metrics for all 3 pods');
  });

  after(async () => {
    await c?.dispose();
  });

  it('kubectl top pods: one row per pod, containers summed', async () => {
    const out = await c.k(['top', 'pods']);
    const table = rows(out);
    assert.deepEqual(table[0], ['NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    assert.deepEqual(
      table.slice(1).sort((a, b) => a[0]!.localeCompare(b[0]!)),
      [...busyPods.map((n) => [n, '500m', '128Mi']), ['quiet', '100m', '32Mi']].sort((a, b) => a[0]!.localeCompare(b[0]!)),
    );
    assert.deepEqual(rows(await c.k(['top', 'pod', 'quiet'])), [
      ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['quiet', '100m', '32Mi'],
    ]);
    // --sort-by orders by usage.
    const sorted = rows(await c.k(['top', 'pods', '--sort-by=cpu', '--no-headers']));
    assert.equal(sorted[2]![0], 'quiet');
  });

  it('kubectl top pods -l selects by label', async () => {
    assert.deepEqual(rows(await c.k(['top', 'pods', '-l', 'app=quiet'])), [
      ['NAME', 'CPU(cores)', 'MEMORY(bytes)'],
      ['quiet', '100m', '32Mi'],
    ]);
    const busyRows = rows(await c.k(['top', 'pods', '-l', 'app=busy', '--no-headers']));
    assert.deepEqual(busyRows.map((r) => r[0]).sort(), busyPods);
    assert.equal(rows(await c.k(['top', 'pods', '-l', 'tier=web', '--no-headers'])).length, 3);
    const none = await c.kubectl(['top', 'pods', '-l', 'app=nothing']);
    assert.equal(none.code, 0);
    assert.match(none.stderr, /No resources found in default namespace\./);
  });

  it('kubectl top pods --containers: one row per container', async () => {
    const table = rows(await c.k(['top', 'pods', '--containers', '-l', 'app=busy']));
    assert.deepEqual(table[0], ['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
    const expected = busyPods.flatMap((p) => [
      [p, 'sidecar', '250m', '64Mi'],
      [p, 'web', '250m', '64Mi'],
    ]);
    assert.deepEqual(
      table.slice(1).sort((a, b) => (a[0]! + a[1]!).localeCompare(b[0]! + b[1]!)),
      expected,
    );
  });

  it('kubectl top nodes: each node sums its own pods, percentages of allocatable', async () => {
    const table = rows(await c.k(['top', 'nodes']));
    assert.deepEqual(table[0], ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
    // A simulated node's own share is 50m and 256Mi. kujira-sim-1: 50m + 2 pods × 500m = 1050m of 4 cpu = 26 %;
    // 256Mi + 256Mi of 8Gi = 6 %. kujira-sim-2: 50m + 100m = 3 %, 256Mi + 32Mi = 3 % (kubectl truncates).
    assert.deepEqual(
      table.slice(1).sort((a, b) => a[0]!.localeCompare(b[0]!)),
      [
        ['kujira-sim-1', '1050m', '26%', '512Mi', '6%'],
        ['kujira-sim-2', '150m', '3%', '288Mi', '3%'],
      ],
    );
    assert.deepEqual(rows(await c.k(['top', 'node', 'kujira-sim-2', '--no-headers'])), [['kujira-sim-2', '150m', '3%', '288Mi', '3%']]);
    assert.deepEqual(rows(await c.k(['top', 'nodes', '-l', 'kubernetes.io/hostname=kujira-sim-1', '--no-headers'])).map((r) => r[0]), ['kujira-sim-1']);
  });

  it('figures follow the annotations live, and a deleted pod drops out', async () => {
    await c.k(['annotate', 'pod', 'quiet', 'sim.kujira.io/cpu=300m', 'sim.kujira.io/memory=48Mi', '--overwrite']);
    await eventually(async () => {
      const r = rows(await c.k(['top', 'pod', 'quiet', '--no-headers']));
      return r[0]?.[1] === '300m' && r[0]?.[2] === '48Mi';
    }, 'quiet at 300m / 48Mi');
    await eventually(async () => rows(await c.k(['top', 'node', 'kujira-sim-2', '--no-headers']))[0]?.[1] === '350m', 'kujira-sim-2 at 350m');
    await c.k(['delete', 'pod', 'quiet', '--wait=true']);
    await eventually(async () => rows(await c.k(['top', 'pods', '--no-headers'])).length === 2, 'quiet gone from top');
    await eventually(async () => rows(await c.k(['top', 'node', 'kujira-sim-2', '--no-headers']))[0]?.[1] === '50m', 'kujira-sim-2 idle');
  });

  it('a namespace without pods has no metrics', async () => {
    const r = await c.kubectl(['top', 'pods', '-n', 'empty']);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /No resources found in empty namespace\./);
  });
});
