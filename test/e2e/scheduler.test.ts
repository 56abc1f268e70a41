// Scheduler, simulated nodes and node failure through the real kubectl, against
// `kujira up --runtime simulated --simulated-nodes 3`, which runs the scheduler, the
// simulated nodes, the node lifecycle controller and the ReplicaSet controller in-process (on the
// component thread, as large clusters run them).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { core } from '../../src/api/types.js';
import { eventually, TestCluster } from '../support/cluster.js';

let cluster: TestCluster;
const NODES = ['kujira-sim-1', 'kujira-sim-2', 'kujira-sim-3'];

interface PodList {
  items: core.Pod[];
}

async function pods(selector: string): Promise<core.Pod[]> {
  return (JSON.parse(await cluster.k(['get', 'pods', '-l', selector, '-o', 'json'])) as PodList).items;
}

async function pod(name: string): Promise<core.Pod> {
  return JSON.parse(await cluster.k(['get', 'pod', name, '-o', 'json'])) as core.Pod;
}

async function events(name: string): Promise<core.Event[]> {
  const all = (JSON.parse(await cluster.k(['get', 'events', '-o', 'json'])) as { items: core.Event[] }).items;
  return all.filter((e) => e.involvedObject.name === name);
}

function podYaml(name: string, opts: { cpu?: string; labels?: Record<string, string>; nodeSelector?: Record<string, string>; tolerations?: core.Toleration[] } = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: opts.labels ?? { app: name } },
    spec: {
      containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: opts.cpu ?? '100m', memory: '64Mi' } } }],
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
      ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
    },
  });
}

function replicaSet(name: string, replicas: number, extra: Partial<core.PodSpec> = {}): string {
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi' } } }], ...extra },
      },
    },
  });
}

async function createReplicaSet(name: string, replicas: number, extra: Partial<core.PodSpec> = {}): Promise<void> {
  await cluster.k(['apply', '-f', '-'], { input: replicaSet(name, replicas, extra) });
}

function countByNode(list: core.Pod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of list) if (p.spec?.nodeName) out[p.spec.nodeName] = (out[p.spec.nodeName] ?? 0) + 1;
  return out;
}

const cond = (p: core.Pod, type: string): core.PodCondition | undefined => p.status?.conditions?.find((c) => c.type === type);

before(async () => {
  // Lease renewals are every 10 s; a 15 s grace period keeps the failure scenario short.
  cluster = await TestCluster.start({ extraArgs: ['--controllers=*', '--runtime', 'simulated', '--simulated-nodes', '3', '--component-thread', 'true', '--node-monitor-grace-period', '15s', '--node-monitor-period', '1s', '--default-unreachable-toleration-seconds', '2', '--default-not-ready-toleration-seconds', '2'], timeoutMs: 30_000 });
  await eventually(async () => {
    const out = await cluster.k(['get', 'nodes', '--no-headers']);
    return NODES.every((n) => new RegExp(`^${n}\\s+Ready\\s`, 'm').test(out));
  }, 'three Ready nodes', 30_000);
});

after(async () => {
  await cluster?.dispose();
});

describe('simulated nodes', () => {
  it('registers three Ready nodes with capacity, labels and leases', async () => {
    const out = await cluster.k(['get', 'nodes']);
    for (const n of NODES) assert.match(out, new RegExp(`${n}\\s+Ready`));
    const node = JSON.parse(await cluster.k(['get', 'node', 'kujira-sim-1', '-o', 'json'])) as core.Node;
    assert.equal(node.status?.capacity?.['cpu'], '4');
    assert.equal(node.status?.capacity?.['memory'], '8Gi');
    assert.equal(node.status?.capacity?.['pods'], '110');
    assert.equal(node.metadata?.labels?.['kubernetes.io/hostname'], 'kujira-sim-1');
    const leases = await cluster.k(['get', 'leases', '-n', 'kube-node-lease']);
    assert.match(leases, /kujira-sim-3/);
  });

  it('runs a pod: ContainerCreating → Running and Ready, with IPs, and serves its logs', async () => {
    await cluster.k(['apply', '-f', '-'], { input: podYaml('hello') });
    const p = await eventually(async () => {
      const x = await pod('hello');
      return cond(x, 'Ready')?.status === 'True' ? x : undefined;
    }, 'pod hello ready');
    assert.equal(p.status?.phase, 'Running');
    assert.match(p.status?.podIP ?? '', /^10\.244\.\d+\.\d+$/);
    assert.equal(p.status?.hostIP, '127.0.0.1');
    assert.ok(p.status?.startTime);
    assert.deepEqual(p.status?.conditions?.map((c) => `${c.type}=${c.status}`).sort(), [
      'ContainersReady=True',
      'Initialized=True',
      'PodReadyToStartContainers=True',
      'PodScheduled=True',
      'Ready=True',
    ]);
    const scheduled = (await events('hello')).find((e) => e.reason === 'Scheduled');
    assert.equal(scheduled?.message, `Successfully assigned default/hello to ${p.spec?.nodeName}`);
    const logs = await cluster.kubectl(['logs', 'hello']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /kujira-sim: container app/);
    await cluster.k(['delete', 'pod', 'hello', '--wait=true']);
  });
});

describe('scheduler', () => {
  it('spreads a ReplicaSet of 6 over 3 nodes as 2 + 2 + 2', async () => {
    await createReplicaSet('spread', 6);
    const list = await eventually(async () => {
      const l = await pods('app=spread');
      return l.length === 6 && l.every((p) => p.spec?.nodeName) ? l : undefined;
    }, '6 bound pods', 20_000);
    assert.deepEqual(Object.values(countByNode(list)).sort(), [2, 2, 2]);
    await cluster.k(['delete', 'rs', 'spread']);
    await cluster.k(['delete', 'pods', '-l', 'app=spread', '--ignore-not-found']);
  });

  it('keeps a pod too big for any node Pending with Unschedulable and a FailedScheduling event', async () => {
    await cluster.k(['apply', '-f', '-'], { input: podYaml('huge', { cpu: '64' }) });
    const p = await eventually(async () => {
      const x = await pod('huge');
      return cond(x, 'PodScheduled')?.status === 'False' ? x : undefined;
    }, 'PodScheduled=False');
    assert.equal(p.status?.phase, 'Pending');
    assert.equal(cond(p, 'PodScheduled')?.reason, 'Unschedulable');
    assert.equal(cond(p, 'PodScheduled')?.message, '0/3 nodes are available: 3 Insufficient cpu.');
    const failed = await eventually(async () => (await events('huge')).find((e) => e.reason === 'FailedScheduling'), 'FailedScheduling event');
    assert.equal(failed.type, 'Warning');
    assert.equal(failed.message, '0/3 nodes are available: 3 Insufficient cpu.');
    const described = await cluster.k(['describe', 'pod', 'huge']);
    assert.match(described, /FailedScheduling/);
    await cluster.k(['delete', 'pod', 'huge']);
  });

  it('retries a nodeSelector mismatch as soon as a node gets the label', async () => {
    await cluster.k(['apply', '-f', '-'], { input: podYaml('picky', { nodeSelector: { disk: 'ssd' } }) });
    const p = await eventually(async () => {
      const x = await pod('picky');
      return cond(x, 'PodScheduled')?.status === 'False' ? x : undefined;
    }, 'picky unschedulable');
    assert.equal(cond(p, 'PodScheduled')?.message, "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.");
    await cluster.k(['label', 'node', 'kujira-sim-2', 'disk=ssd']);
    const bound = await eventually(async () => (await pod('picky')).spec?.nodeName, 'picky bound');
    assert.equal(bound, 'kujira-sim-2');
    await cluster.k(['label', 'node', 'kujira-sim-2', 'disk-']);
    await cluster.k(['delete', 'pod', 'picky']);
  });

  it('honours taints and tolerations', async () => {
    await cluster.k(['taint', 'node', 'kujira-sim-1', 'dedicated=db:NoSchedule']);
    const onOne = { 'kubernetes.io/hostname': 'kujira-sim-1' };
    await cluster.k(['apply', '-f', '-'], { input: podYaml('untolerating', { nodeSelector: onOne }) });
    const p = await eventually(async () => {
      const x = await pod('untolerating');
      return cond(x, 'PodScheduled')?.status === 'False' ? x : undefined;
    }, 'untolerating unschedulable');
    assert.equal(
      cond(p, 'PodScheduled')?.message,
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 node(s) didn't match Pod's node affinity/selector.",
    );
    await cluster.k(['apply', '-f', '-'], { input: podYaml('tolerating', { nodeSelector: onOne, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }) });
    assert.equal(await eventually(async () => (await pod('tolerating')).spec?.nodeName, 'tolerating bound'), 'kujira-sim-1');
    await cluster.k(['taint', 'node', 'kujira-sim-1', 'dedicated-']);
    assert.equal(await eventually(async () => (await pod('untolerating')).spec?.nodeName, 'untolerating bound after untaint'), 'kujira-sim-1');
    await cluster.k(['delete', 'pod', 'untolerating', 'tolerating']);
  });
});

describe('cordon and drain', () => {
  it('cordon keeps new pods off; uncordon lets them in', async () => {
    await cluster.k(['cordon', 'kujira-sim-3']);
    assert.match(await cluster.k(['get', 'node', 'kujira-sim-3']), /Ready,SchedulingDisabled/);
    await cluster.k(['apply', '-f', '-'], { input: podYaml('on-three', { nodeSelector: { 'kubernetes.io/hostname': 'kujira-sim-3' } }) });
    const p = await eventually(async () => {
      const x = await pod('on-three');
      return cond(x, 'PodScheduled')?.status === 'False' ? x : undefined;
    }, 'on-three unschedulable');
    assert.equal(cond(p, 'PodScheduled')?.message, "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector.");
    await cluster.k(['uncordon', 'kujira-sim-3']);
    assert.equal(await eventually(async () => (await pod('on-three')).spec?.nodeName, 'on-three bound'), 'kujira-sim-3');
    await cluster.k(['delete', 'pod', 'on-three']);
  });

  it('drain --ignore-daemonsets --delete-emptydir-data moves a ReplicaSet\'s pods to the other nodes', async () => {
    await createReplicaSet('drained', 6);
    await eventually(async () => (await pods('app=drained')).every((p) => p.spec?.nodeName), 'drained pods bound', 20_000);
    const drain = await cluster.kubectl(['drain', 'kujira-sim-3', '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=60s'], { timeoutMs: 90_000 });
    assert.equal(drain.code, 0, drain.stderr + drain.stdout);
    assert.match(drain.stdout, /node\/kujira-sim-3 drained/);
    // Discovery lists pods/eviction (policy/v1), so drain evicts rather than deletes.
    assert.match(drain.stdout, /pod\/drained-\S+ evicted/);
    const left = (await pods('app=drained')).filter((p) => p.spec?.nodeName === 'kujira-sim-3');
    assert.deepEqual(left.map((p) => p.metadata?.name), []);
    {
      const l = await eventually(async () => {
        const x = await pods('app=drained');
        return x.length === 6 && x.every((p) => p.spec?.nodeName && p.spec.nodeName !== 'kujira-sim-3') ? x : undefined;
      }, 'replacements on other nodes', 20_000);
      assert.equal(l.length, 6);
    }
    await cluster.k(['uncordon', 'kujira-sim-3']);
    await cluster.k(['delete', 'rs', 'drained']);
    await cluster.k(['delete', 'pods', '-l', 'app=drained', '--ignore-not-found']);
  });
});

describe('node failure', () => {
  it('a stopped node goes NotReady, is tainted, its pods are evicted and replaced; it comes back untainted', async () => {
    const tolerations: core.Toleration[] = [
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 2 },
    ];
    await createReplicaSet('survivor', 6, { tolerations });
    const before = await eventually(async () => {
      const l = await pods('app=survivor');
      return l.length === 6 && l.every((p) => cond(p, 'Ready')?.status === 'True') ? l : undefined;
    }, 'survivor pods ready', 20_000);
    const victims = before.filter((p) => p.spec?.nodeName === 'kujira-sim-1').map((p) => p.metadata!.name!);
    assert.ok(victims.length > 0);

    await cluster.k(['annotate', 'node', 'kujira-sim-1', 'sim.kujira.io/stopped=true']);
    await eventually(async () => /kujira-sim-1\s+NotReady/.test(await cluster.k(['get', 'nodes'])), 'node NotReady', 40_000);
    const node = JSON.parse(await cluster.k(['get', 'node', 'kujira-sim-1', '-o', 'json'])) as core.Node;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'Unknown');
    assert.equal(ready?.reason, 'NodeStatusUnknown');
    assert.equal(ready?.message, 'Kubelet stopped posting node status.');
    assert.ok(node.spec?.taints?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'));

    // Evicted: every victim gets a deletionTimestamp (it stays Terminating while its node is dead).
    await eventually(async () => {
      const l = await pods('app=survivor');
      return victims.every((v) => { const p = l.find((x) => x.metadata?.name === v); return !p || p.metadata?.deletionTimestamp; });
    }, 'victims evicted', 40_000);
    {
      await eventually(async () => {
        const live = (await pods('app=survivor')).filter((p) => !p.metadata?.deletionTimestamp);
        return live.length === 6 && live.every((p) => p.spec?.nodeName && p.spec.nodeName !== 'kujira-sim-1' && cond(p, 'Ready')?.status === 'True');
      }, 'replacements ready elsewhere', 30_000);
    }

    await cluster.k(['annotate', 'node', 'kujira-sim-1', 'sim.kujira.io/stopped-']);
    await eventually(async () => /kujira-sim-1\s+Ready/.test(await cluster.k(['get', 'nodes'])), 'node Ready again', 30_000);
    await eventually(async () => {
      const n = JSON.parse(await cluster.k(['get', 'node', 'kujira-sim-1', '-o', 'json'])) as core.Node;
      return !(n.spec?.taints ?? []).some((t) => t.key === 'node.kubernetes.io/unreachable');
    }, 'unreachable taint removed', 30_000);
    // The revived node finishes the terminations it missed.
    await eventually(async () => (await pods('app=survivor')).every((p) => !victims.includes(p.metadata?.name ?? '')), 'victims gone', 30_000);
    await cluster.k(['delete', 'rs', 'survivor']);
    await cluster.k(['delete', 'pods', '-l', 'app=survivor', '--ignore-not-found']);
  });
});
