// Horizontal pod autoscaling through the real kubectl against a full `kujira up` with two
// simulated nodes: their pods report the cpu their `sim.kujira.io/cpu` annotation says, the
// metrics pipeline scrapes them every second, the autoscaler syncs every second and
// stabilizes scale-downs over 3 seconds. The seed's `kubectl autoscale rs kuard --min=2
// --max=5 --cpu-percent=80`, a Deployment, a manual `kubectl scale` fighting the autoscaler,
// and the bad inputs Kubernetes reports in conditions and events.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TestCluster, eventually as poll } from '../support/cluster.js';

/** Polls until `check` answers something truthy, and returns it. */
async function eventually<T>(check: () => Promise<T | false | undefined>, what: string, timeoutMs: number, intervalMs = 200): Promise<T> {
  return (await poll(check, what, timeoutMs, intervalMs)) as T;
}

const STABILIZATION_MS = 3000;

/** The seed's ReplicaSet, with a cpu request so utilization means something, and a simulated load. */
const kuardRs = `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: kuard
spec:
  replicas: 1
  selector:
    matchLabels:
      app: kuard
      version: "2"
  template:
    metadata:
      labels:
        app: kuard
        version: "2"
      annotations:
        sim.kujira.io/cpu: 900m
        sim.kujira.io/memory: 64Mi
    spec:
      containers:
        - name: kuard
          image: "gcr.io/kuar-demo/kuard-amd64:2"
          resources:
            requests:
              cpu: 500m
              memory: 128Mi
`;

const webDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
      annotations:
        sim.kujira.io/cpu: 450m
    spec:
      containers:
        - name: nginx
          image: nginx:1.25
          resources:
            requests: {cpu: 250m}
`;

interface HpaRow {
  name: string;
  reference: string;
  targets: string;
  minPods: string;
  maxPods: string;
  replicas: number;
  age: string;
}

interface HpaV2 {
  spec: { minReplicas?: number; maxReplicas: number };
  status?: {
    currentReplicas?: number;
    desiredReplicas?: number;
    lastScaleTime?: string;
    currentMetrics?: Array<{ type: string; resource?: { name: string; current: { averageUtilization?: number; averageValue?: string } } }>;
    conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  };
}

interface EventItem {
  type: string;
  reason: string;
  message: string;
  source?: { component?: string };
  involvedObject: { kind: string; name: string };
}

describe('horizontal pod autoscaling on simulated nodes', () => {
  let c: TestCluster;

  before(async () => {
    c = await TestCluster.start({
      extraArgs: [
        '--controllers=*',
        '--runtime',
        'simulated',
        '--simulated-nodes',
        '2',
        '--metric-resolution',
        '1s',
        '--horizontal-pod-autoscaler-sync-period',
        '1s',
        '--horizontal-pod-autoscaler-downscale-stabilization',
        '3s',
        // The autoscaler on the component thread reads metrics.k8s.io, served beside the API server.
        '--component-thread',
        'true',
      ],
    });
    await eventually(async () => (await c.k(['get', 'nodes', '--no-headers'])).split('\n').filter((l) => /\sReady\s/.test(l)).length === 2, '2 Ready nodes', 20_000);
  });

  after(async () => {
    await c?.dispose();
  });

  async function hpaRow(name: string): Promise<HpaRow> {
    const out = (await c.k(['get', 'hpa', name, '--no-headers'])).trim();
    const [n, reference, ...rest] = out.split(/\s{2,}/);
    // TARGETS may contain single spaces ("cpu: 180%/80%"); split on runs of 2+ spaces.
    const [targets, minPods, maxPods, replicas, age] = rest;
    return { name: n!, reference: reference!, targets: targets!, minPods: minPods!, maxPods: maxPods!, replicas: Number(replicas), age: age! };
  }

  async function hpaJson(name: string): Promise<HpaV2> {
    return JSON.parse(await c.k(['get', 'horizontalpodautoscalers.v2.autoscaling', name, '-o', 'json'])) as HpaV2;
  }

  async function events(name: string): Promise<EventItem[]> {
    const list = JSON.parse(await c.k(['get', 'events', '--field-selector', `involvedObject.name=${name},involvedObject.kind=HorizontalPodAutoscaler`, '-o', 'json'])) as { items: EventItem[] };
    return list.items;
  }

  function condition(hpa: HpaV2, type: string) {
    return hpa.status?.conditions?.find((x) => x.type === type);
  }

  async function replicasOf(kind: 'rs' | 'deployment', name: string): Promise<{ desired: number; ready: number }> {
    const obj = JSON.parse(await c.k(['get', kind, name, '-o', 'json'])) as { spec: { replicas: number }; status: { readyReplicas?: number } };
    return { desired: obj.spec.replicas, ready: obj.status.readyReplicas ?? 0 };
  }

  /** Live pods (not terminating) matching a selector. */
  async function livePods(selector: string): Promise<string[]> {
    const list = JSON.parse(await c.k(['get', 'pods', '-l', selector, '-o', 'json'])) as { items: Array<{ metadata: { name: string; deletionTimestamp?: string } }> };
    return list.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
  }

  describe('bad input', () => {
    it('refuses minReplicas above maxReplicas (kubectl itself, and the API for a manifest)', async () => {
      await c.k(['apply', '-f', '-'], { input: kuardRs });
      const client = await c.kubectl(['autoscale', 'rs', 'kuard', '--name=backwards', '--min=6', '--max=5']);
      assert.notEqual(client.code, 0);
      assert.match(client.stderr, /--max=MAXPODS must be larger or equal to --min=MINPODS, max: 5, min: 6/);
      const server = await c.kubectl(['create', '-f', '-'], {
        input: `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: backwards}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: ReplicaSet, name: kuard}
  minReplicas: 6
  maxReplicas: 5
`,
      });
      assert.equal(server.code, 1);
      assert.equal(server.stderr.trim(), 'The HorizontalPodAutoscaler "backwards" is invalid: spec.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`');
      // Same rule through autoscaling/v1.
      const v1 = await c.kubectl(['create', '-f', '-'], {
        input: `
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: backwards}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: ReplicaSet, name: kuard}
  minReplicas: 6
  maxReplicas: 5
`,
      });
      assert.equal(v1.code, 1);
      assert.match(v1.stderr, /spec\.maxReplicas: Invalid value: 5: must be greater than or equal to `minReplicas`/);
      assert.equal((await c.kubectl(['get', 'hpa', 'backwards'])).code, 1);
      await c.k(['delete', 'rs', 'kuard']);
    });

    it('reports a missing target as AbleToScale False / FailedGetScale', async () => {
      // kubectl autoscale looks the target up first …
      const direct = await c.kubectl(['autoscale', 'rs', 'ghost', '--min=1', '--max=3']);
      assert.notEqual(direct.code, 0);
      assert.match(direct.stderr, /replicasets.apps "ghost" not found/);
      // … a manifest goes in anyway, and the controller says what is wrong.
      await c.k(['create', '-f', '-'], {
        input: `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: ghost}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: ReplicaSet, name: ghost}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`,
      });
      const hpa = await eventually(async () => {
        const h = await hpaJson('ghost');
        return condition(h, 'AbleToScale')?.reason === 'FailedGetScale' && h;
      }, 'ghost AbleToScale False', 15_000, 200);
      assert.deepEqual(condition(hpa, 'AbleToScale'), {
        ...condition(hpa, 'AbleToScale'),
        status: 'False',
        message: `the HPA controller was unable to get the target's current scale: replicasets.apps "ghost" not found`,
      });
      const ev = await eventually(async () => (await events('ghost')).find((e) => e.reason === 'FailedGetScale'), 'FailedGetScale event', 10_000, 200);
      assert.equal(ev.type, 'Warning');
      assert.equal(ev.message, 'replicasets.apps "ghost" not found');
      assert.equal(ev.source?.component, 'horizontal-pod-autoscaler');
      const row = await hpaRow('ghost');
      assert.deepEqual({ ...row, age: '' }, { name: 'ghost', reference: 'ReplicaSet/ghost', targets: 'cpu: <unknown>/50%', minPods: '1', maxPods: '3', replicas: 0, age: '' });
      const described = await c.k(['describe', 'hpa', 'ghost']);
      assert.match(described, /AbleToScale\s+False\s+FailedGetScale\s+the HPA controller was unable to get the target's current scale: replicasets.apps "ghost" not found/);
      assert.match(described, /Warning\s+FailedGetScale\s+.*horizontal-pod-autoscaler\s+replicasets.apps "ghost" not found/);
    });

    it('reports a target without a scale subresource (a Pod) with the server\'s answer', async () => {
      await c.k(['run', 'single', '--image=nginx:1.25']);
      await c.k(['create', '-f', '-'], {
        input: `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: single}
spec:
  scaleTargetRef: {apiVersion: v1, kind: Pod, name: single}
  maxReplicas: 3
`,
      });
      const hpa = await eventually(async () => {
        const h = await hpaJson('single');
        return condition(h, 'AbleToScale')?.reason === 'FailedGetScale' && h;
      }, 'single AbleToScale False', 15_000);
      assert.equal(condition(hpa, 'AbleToScale')?.status, 'False');
      assert.equal(condition(hpa, 'AbleToScale')?.message, "the HPA controller was unable to get the target's current scale: the server could not find the requested resource");
      await eventually(async () => (await events('single')).some((e) => e.type === 'Warning' && e.reason === 'FailedGetScale' && e.message === 'the server could not find the requested resource'), 'FailedGetScale event', 10_000);
      assert.equal((await hpaRow('single')).reference, 'Pod/single');
    });

    it('reports pods without a cpu request as ScalingActive False / FailedGetResourceMetric', async () => {
      await c.k(['create', 'deployment', 'noreq', '--image=nginx:1.25']);
      assert.equal((await c.k(['autoscale', 'deployment', 'noreq', '--min=1', '--max=3', '--cpu-percent=50'])).trim(), 'horizontalpodautoscaler.autoscaling/noreq autoscaled');
      const pod = await eventually(async () => (await livePods('app=noreq'))[0], 'noreq pod', 15_000, 200);
      const hpa = await eventually(async () => {
        const h = await hpaJson('noreq');
        return condition(h, 'ScalingActive')?.message.includes('missing request') && h;
      }, 'noreq ScalingActive False', 20_000, 200);
      assert.deepEqual(
        { status: condition(hpa, 'ScalingActive')?.status, reason: condition(hpa, 'ScalingActive')?.reason, message: condition(hpa, 'ScalingActive')?.message },
        {
          status: 'False',
          reason: 'FailedGetResourceMetric',
          message: `the HPA was unable to compute the replica count: failed to get cpu utilization: missing request for cpu in container nginx of Pod ${pod}`,
        },
      );
      assert.equal(condition(hpa, 'AbleToScale')?.status, 'True');
      const evs = await eventually(async () => {
        const e = await events('noreq');
        return e.some((x) => x.reason === 'FailedComputeMetricsReplicas' && x.message.includes('missing request')) && e;
      }, 'FailedComputeMetricsReplicas event', 10_000, 200);
      assert.ok(evs.some((e) => e.type === 'Warning' && e.reason === 'FailedGetResourceMetric' && e.message === `failed to get cpu utilization: missing request for cpu in container nginx of Pod ${pod}`));
      assert.ok(
        evs.some(
          (e) =>
            e.type === 'Warning' &&
            e.reason === 'FailedComputeMetricsReplicas' &&
            e.message === `invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: missing request for cpu in container nginx of Pod ${pod}`,
        ),
      );
      assert.equal((await hpaRow('noreq')).targets, 'cpu: <unknown>/50%');
      assert.equal((await replicasOf('deployment', 'noreq')).desired, 1);
    });
  });

  describe("the seed's ReplicaSet kuard (the bad HPAs above stay in place: the controller carries on)", () => {
    it('kubectl autoscale rs kuard --min=2 --max=5 --cpu-percent=80 scales up to 5 while each pod uses 180% of its request', async () => {
      await c.k(['apply', '-f', '-'], { input: kuardRs });
      await eventually(async () => (await replicasOf('rs', 'kuard')).ready === 1, 'kuard 1 ready', 15_000, 200);
      assert.equal((await c.k(['autoscale', 'rs', 'kuard', '--min=2', '--max=5', '--cpu-percent=80'])).trim(), 'horizontalpodautoscaler.autoscaling/kuard autoscaled');
      await eventually(async () => {
        const r = await replicasOf('rs', 'kuard');
        return r.desired === 5 && r.ready === 5;
      }, 'kuard at 5 ready replicas', 30_000, 250);
      const row = await eventually(async () => {
        const r = await hpaRow('kuard');
        return r.replicas === 5 && r.targets === 'cpu: 180%/80%' && r;
      }, 'kubectl get hpa kuard at 5, 180%', 15_000, 250);
      assert.deepEqual({ ...row, age: '' }, { name: 'kuard', reference: 'ReplicaSet/kuard', targets: 'cpu: 180%/80%', minPods: '2', maxPods: '5', replicas: 5, age: '' });
      assert.match(row.age, /^\d+s$/);
      const table = await c.k(['get', 'hpa']);
      assert.match(table.split('\n')[0]!, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/);
      assert.match(table, /\nkuard\s+ReplicaSet\/kuard\s+cpu: 180%\/80%\s+2\s+5\s+5\s+\d+s\n/);

      // Status as Kubernetes writes it.
      const hpa = await hpaJson('kuard');
      assert.equal(hpa.status?.currentReplicas, 5);
      assert.equal(hpa.status?.desiredReplicas, 5);
      assert.match(hpa.status?.lastScaleTime ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.deepEqual(hpa.status?.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 180, averageValue: '900m' } } }]);
      assert.deepEqual(
        hpa.status?.conditions?.map((x) => [x.type, x.status, x.reason]),
        [
          ['AbleToScale', 'True', 'ReadyForNewScale'],
          ['ScalingActive', 'True', 'ValidMetricFound'],
          ['ScalingLimited', 'True', 'TooManyReplicas'],
        ],
      );
      // The same object through autoscaling/v1 (one storage, two versions).
      const v1 = JSON.parse(await c.k(['get', 'horizontalpodautoscalers.v1.autoscaling', 'kuard', '-o', 'json'])) as { spec: Record<string, unknown>; status: Record<string, unknown> };
      assert.equal(v1.spec.targetCPUUtilizationPercentage, 80);
      assert.deepEqual({ min: v1.spec.minReplicas, max: v1.spec.maxReplicas }, { min: 2, max: 5 });
      assert.equal(v1.status.currentCPUUtilizationPercentage, 180);
      assert.equal(v1.status.currentReplicas, 5);

      const described = await c.k(['describe', 'hpa', 'kuard']);
      assert.match(described, /Reference:\s+ReplicaSet\/kuard\n/);
      assert.match(described, /resource cpu on pods\s+\(as a percentage of request\):\s+180% \(900m\) \/ 80%/);
      assert.match(described, /Min replicas:\s+2\nMax replicas:\s+5\n/);
      assert.match(described, /ReplicaSet pods:\s+5 current \/ 5 desired/);
      assert.match(described, /AbleToScale\s+True\s+ReadyForNewScale\s+recommended size matches current size/);
      assert.match(described, /ScalingActive\s+True\s+ValidMetricFound\s+the HPA was able to successfully calculate a replica count from cpu resource utilization \(percentage of request\)/);
      assert.match(described, /ScalingLimited\s+True\s+TooManyReplicas\s+the desired replica count is more than the maximum replica count/);
      assert.match(described, /Normal\s+SuccessfulRescale\s+.*horizontal-pod-autoscaler\s+New size: 2; reason: Current number of replicas below Spec.MinReplicas/);
      assert.match(described, /Normal\s+SuccessfulRescale\s+.*horizontal-pod-autoscaler\s+New size: 5; reason: cpu resource utilization \(percentage of request\) above target/);
    });

    it('a manual kubectl scale rs kuard --replicas=3 is overridden at the next sync, with an event saying so', async () => {
      assert.equal((await c.k(['scale', 'rs', 'kuard', '--replicas=3'])).trim(), 'replicaset.apps/kuard scaled');
      const ev = await eventually(async () => (await events('kuard')).find((e) => e.reason === 'ScaleOverridden'), 'ScaleOverridden event', 10_000, 200);
      assert.equal(ev.type, 'Normal');
      assert.equal(ev.message, 'ReplicaSet/kuard was scaled to 3 outside the autoscaler (it had set 5); the autoscaler manages its replicas and set them to 5');
      await eventually(async () => {
        const r = await replicasOf('rs', 'kuard');
        return r.desired === 5 && r.ready === 5;
      }, 'kuard back at 5', 15_000, 250);
      assert.match(await c.k(['describe', 'hpa', 'kuard']), /Normal\s+ScaleOverridden\s+.*ReplicaSet\/kuard was scaled to 3 outside the autoscaler/);
    });

    it('scales down to 2 once the load drops, only after the stabilization window', async () => {
      // The two pods the manual scale removed must be gone first: annotate -l lists, then patches each,
      // and a pod whose deletion finishes in between would answer NotFound.
      await eventually(async () => {
        const list = JSON.parse(await c.k(['get', 'pods', '-l', 'app=kuard', '-o', 'json'])) as { items: Array<{ metadata: { deletionTimestamp?: string } }> };
        return list.items.length === 5 && list.items.every((p) => !p.metadata.deletionTimestamp);
      }, 'no terminating kuard pods', 15_000, 200);
      // New pods get the low figure from the template, the running ones from their own annotation.
      await c.k(['patch', 'rs', 'kuard', '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'sim.kujira.io/cpu': '100m' } } } } })]);
      const dropped = Date.now();
      await c.k(['annotate', 'pods', '-l', 'app=kuard', 'sim.kujira.io/cpu=100m', '--overwrite']);
      // The metrics show the drop while the replicas stay: the window still holds the higher recommendation.
      await eventually(async () => (await hpaRow('kuard')).targets === 'cpu: 20%/80%', 'kuard at 20%', 10_000, 100);
      const seenLowAt = Date.now();
      assert.equal((await replicasOf('rs', 'kuard')).desired, 5);
      await eventually(async () => (await replicasOf('rs', 'kuard')).desired === 2, 'kuard scaled down to 2', STABILIZATION_MS + 15_000, 100);
      const scaledAfter = Date.now() - dropped;
      assert.ok(scaledAfter >= STABILIZATION_MS - 1000, `scaled down ${scaledAfter}ms after the drop: the ${STABILIZATION_MS}ms window was not honoured (low since ${seenLowAt - dropped}ms)`);
      await eventually(async () => (await livePods('app=kuard')).length === 2, '2 kuard pods', 15_000, 200);
      const row = await eventually(async () => {
        const r = await hpaRow('kuard');
        return r.replicas === 2 && r;
      }, 'hpa kuard at 2', 10_000, 200);
      assert.equal(row.targets, 'cpu: 20%/80%');
      // Right after the scale-down the window still holds 2 (recommended at 5 × 20 %): ScaleDownStabilized;
      // once it has passed, the raw recommendation (1) is what min clamps: TooFewReplicas.
      const steady = await eventually(async () => {
        const h = await hpaJson('kuard');
        return condition(h, 'ScalingLimited')?.reason === 'TooFewReplicas' && h;
      }, 'kuard limited by minReplicas', STABILIZATION_MS + 10_000);
      assert.deepEqual(
        steady.status?.conditions?.map((x) => [x.type, x.status, x.reason, x.message]),
        [
          ['AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size'],
          ['ScalingActive', 'True', 'ValidMetricFound', 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)'],
          ['ScalingLimited', 'True', 'TooFewReplicas', 'the desired replica count is less than the minimum replica count'],
        ],
      );
      const evs = await events('kuard');
      assert.ok(evs.some((e) => e.reason === 'SuccessfulRescale' && e.message === 'New size: 2; reason: All metrics below target'));
      assert.equal((await replicasOf('rs', 'kuard')).desired, 2);
    });
  });

  describe('a Deployment', () => {
    it('kubectl autoscale deployment web scales up to 5 on load and back to 2 when a new template lowers it', async () => {
      await c.k(['apply', '-f', '-'], { input: webDeployment });
      assert.equal((await c.k(['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=80'])).trim(), 'horizontalpodautoscaler.autoscaling/web autoscaled');
      await eventually(async () => {
        const r = await replicasOf('deployment', 'web');
        return r.desired === 5 && r.ready === 5;
      }, 'web at 5 ready replicas', 30_000, 250);
      const row = await eventually(async () => {
        const r = await hpaRow('web');
        return r.replicas === 5 && r.targets === 'cpu: 180%/80%' && r;
      }, 'kubectl get hpa web at 5', 15_000, 250);
      assert.equal(row.reference, 'Deployment/web');
      assert.match(await c.k(['describe', 'hpa', 'web']), /Deployment pods:\s+5 current \/ 5 desired/);
      assert.match(await c.k(['get', 'deployment', 'web', '--no-headers']), /^web\s+5\/5\s+5\s+5\s/);

      // A new revision whose pods use little: the rollout replaces them, the autoscaler follows.
      await c.k(['patch', 'deployment', 'web', '--type=merge', '-p', JSON.stringify({ spec: { template: { metadata: { annotations: { 'sim.kujira.io/cpu': '50m' } } } } })]);
      await eventually(async () => {
        const r = await replicasOf('deployment', 'web');
        return r.desired === 2 && r.ready === 2;
      }, 'web scaled down to 2', 45_000, 250);
      await eventually(async () => (await hpaRow('web')).targets === 'cpu: 20%/80%', 'web at 20%', 10_000, 200);
      const evs = await events('web');
      assert.ok(evs.some((e) => e.reason === 'SuccessfulRescale' && e.message === 'New size: 5; reason: cpu resource utilization (percentage of request) above target'));
      assert.ok(evs.some((e) => e.reason === 'SuccessfulRescale' && e.message === 'New size: 2; reason: All metrics below target'));
      // The other HPAs were not disturbed by the bad ones or by each other.
      assert.equal((await replicasOf('rs', 'kuard')).desired, 2);
      assert.equal(condition(await hpaJson('ghost'), 'AbleToScale')?.reason, 'FailedGetScale');
    });
  });
});
