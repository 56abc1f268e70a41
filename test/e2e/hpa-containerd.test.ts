// Autoscaling with real containers: `kujira up --runtime containerd` runs the node agent on a
// containerd of its own; a busybox container spinning in a shell loop burns far more than its
// 100m cpu request, the agent reports it in /stats/summary, and the autoscaler raises the
// ReplicaSet's size. Needs root and containerd (CI installs them); fails, never skips, without.
// Afterwards kujira is stopped with SIGINT and nothing it started may be left running.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { detectContainerdSupport } from '../../src/node/agent/index.js';
import { DEMO_IMAGE } from '../../src/runtime/cri/images.js';
import { TestCluster, eventually as poll } from '../support/cluster.js';

const run = promisify(execFile);

async function eventually<T>(check: () => Promise<T | false | undefined>, what: string, timeoutMs: number, intervalMs = 300): Promise<T> {
  return (await poll(check, what, timeoutMs, intervalMs)) as T;
}

const burner = `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: burn
spec:
  replicas: 1
  selector:
    matchLabels: {app: burn}
  template:
    metadata:
      labels: {app: burn}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
        - name: burn
          image: ${DEMO_IMAGE}
          imagePullPolicy: Never
          command: ["sh", "-c", "while :; do :; done"]
          resources:
            requests: {cpu: 100m}
`;

/** Command lines of every process that mentions `text`. */
async function processesMentioning(text: string): Promise<string[]> {
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((l) => l.includes(text))
    .map((l) => l.trim());
}

describe('horizontal pod autoscaling with real containers (containerd)', () => {
  let c: TestCluster | undefined;
  let cleanedUp = false;

  before(async () => {
    const support = await detectContainerdSupport();
    if (!support.ok) throw new Error(`the containerd autoscaling test needs root and containerd: ${support.why}`);
    c = await TestCluster.start({
      timeoutMs: 60_000,
      extraArgs: [
        '--controllers=*',
        '--runtime',
        'containerd',
        '--metric-resolution',
        '1s',
        '--horizontal-pod-autoscaler-sync-period',
        '1s',
        '--horizontal-pod-autoscaler-downscale-stabilization',
        '3s',
      ],
    });
    const cluster = c;
    await eventually(async () => / Ready /.test(await cluster.k(['get', 'nodes', '--no-headers'])), 'the containerd node Ready', 60_000);
  });

  after(async () => {
    if (c && !cleanedUp) await c.dispose('SIGINT');
  });

  it('a CPU-burning container raises the ReplicaSet through kubectl autoscale; kujira leaves nothing behind', async () => {
    const cluster = c!;
    const burnerPids = async () => new Set((await processesMentioning('while :; do :; done')).filter((l) => !l.includes('ps -eo')).map((l) => l.split(' ')[0]!));
    const before = await burnerPids();
    await cluster.k(['apply', '-f', '-'], { input: burner });
    await eventually(async () => {
      const rs = JSON.parse(await cluster.k(['get', 'rs', 'burn', '-o', 'json'])) as { status: { readyReplicas?: number } };
      return rs.status.readyReplicas === 1;
    }, 'burn running', 60_000);
    // The agent reports the loop's cpu: far above the 100m request.
    const usage = await eventually(async () => {
      const row = (await cluster.k(['top', 'pods', '-l', 'app=burn', '--no-headers'])).trim().split(/\s+/);
      const milli = Number(/^(\d+)m$/.exec(row[1] ?? '')?.[1] ?? 0);
      return milli >= 100 && milli;
    }, 'kubectl top shows the burning pod above its request', 30_000);
    assert.ok(usage >= 100);
    assert.match((await cluster.k(['top', 'nodes', '--no-headers'])).trim(), /^\S+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%$/);

    assert.equal((await cluster.k(['autoscale', 'rs', 'burn', '--min=1', '--max=3', '--cpu-percent=50'])).trim(), 'horizontalpodautoscaler.autoscaling/burn autoscaled');
    const raised = await eventually(async () => {
      const rs = JSON.parse(await cluster.k(['get', 'rs', 'burn', '-o', 'json'])) as { spec: { replicas: number } };
      return rs.spec.replicas > 1 && rs.spec.replicas;
    }, 'the autoscaler raising burn above 1', 60_000);
    assert.ok(raised >= 2 && raised <= 3);
    const described = await cluster.k(['describe', 'hpa', 'burn']);
    assert.match(described, /Normal\s+SuccessfulRescale\s+.*New size: [23]; reason: cpu resource utilization \(percentage of request\) above target/);
    assert.match(described, /ScalingActive\s+True\s+ValidMetricFound/);
    // The new replicas run for real too.
    await eventually(async () => {
      const rs = JSON.parse(await cluster.k(['get', 'rs', 'burn', '-o', 'json'])) as { status: { readyReplicas?: number } };
      return (rs.status.readyReplicas ?? 0) >= 2;
    }, 'at least 2 burn pods ready', 60_000);

    // SIGINT: the agent stops its pods, containerd and the pod network; nothing of this data dir may survive.
    const dataDir = cluster.dataDir;
    const bridge = /pods on (\S+) /.exec(cluster.logs.stderr)?.[1];
    assert.ok((await processesMentioning(dataDir)).length > 0, 'containerd runs from the data dir while kujira is up');
    assert.ok((await burnerPids()).size > before.size, 'the burning loops run as processes');
    assert.equal(await cluster.stop('SIGINT'), 0);
    cleanedUp = true;
    await eventually(async () => (await processesMentioning(dataDir)).length === 0, `no process of ${dataDir} left`, 20_000);
    const ours = [...(await burnerPids())].filter((pid) => !before.has(pid));
    assert.deepEqual(ours, [], 'no burning container left');
    assert.ok(bridge, 'the agent logged its pod bridge');
    const { stdout: links } = await run('ip', ['-o', 'link', 'show']);
    assert.ok(!links.includes(`${bridge}:`), `bridge ${bridge} removed`);
    await cluster.dispose();
  });
});
