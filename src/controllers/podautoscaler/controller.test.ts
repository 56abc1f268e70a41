// The controller's reconcile against an in-memory stand-in for the API server (the
// few paths it uses), with an injected clock: conditions, events, status, and the
// manual-scale override. The end-to-end tests run it against the real server.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { autoscalingV2, core } from '../../api/types.js';
import { ApiError } from '../../api/errors.js';
import type { ApiRequest, ApiRequester, EventSink } from '../../autoscaling/requester.js';
import type { PodUsage } from '../../autoscaling/metrics/types.js';
import { HorizontalController } from './controller.js';
import { providerMetricsClient } from './metrics.js';

type HPA = autoscalingV2.HorizontalPodAutoscaler;

class Cluster implements ApiRequester {
  hpas = new Map<string, HPA>();
  scales = new Map<string, { replicas: number; selector: string }>();
  pods: core.Pod[] = [];
  scaleWrites: number[] = [];
  failScaleGet = false;

  async request<R>(opts: ApiRequest): Promise<R> {
    const p = opts.path;
    if (opts.method === 'GET' && p === '/apis/autoscaling/v2/horizontalpodautoscalers') return { items: [...this.hpas.values()].map((h) => structuredClone(h)) } as R;
    let m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/(replicasets|deployments)\/([^/]+)\/scale$/.exec(p);
    if (m) {
      const key = `${m[2]}/${m[3]}`;
      const s = this.scales.get(key);
      if (!s || this.failScaleGet) throw new ApiError(404, 'NotFound', `${m[2]}.apps "${m[3]}" not found`);
      if (opts.method === 'GET') return { kind: 'Scale', metadata: { name: m[3], namespace: m[1] }, spec: { replicas: s.replicas }, status: { replicas: s.replicas, selector: s.selector } } as R;
      const body = opts.body as { spec: { replicas: number } };
      s.replicas = body.spec.replicas;
      this.scaleWrites.push(s.replicas);
      return body as R;
    }
    if (opts.method === 'GET' && /^\/api\/v1\/namespaces\/[^/]+\/pods$/.test(p)) return { items: this.pods } as R;
    if (p.endsWith('/scale')) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    if (opts.method === 'GET' && p === '/api/v1') return { kind: 'APIResourceList', groupVersion: 'v1', resources: [{ name: 'pods', kind: 'Pod', namespaced: true }] } as R;
    m = /^\/apis\/autoscaling\/v2\/namespaces\/([^/]+)\/horizontalpodautoscalers\/([^/]+)\/status$/.exec(p);
    if (m && opts.method === 'PUT') {
      const body = opts.body as HPA;
      this.hpas.set(`${m[1]}/${m[2]}`, structuredClone(body));
      return body as R;
    }
    throw new Error(`unexpected ${opts.method} ${p}`);
  }
}

class Events implements EventSink {
  seen: Array<{ type: string; reason: string; message: string }> = [];
  event(_obj: unknown, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.seen.push({ type, reason, message });
  }
  reasons(): string[] {
    return this.seen.map((e) => e.reason);
  }
}

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);

function kuardPod(i: number, request: string | undefined): core.Pod {
  return {
    metadata: { name: `kuard-${i}`, namespace: 'default', labels: { app: 'kuard' } },
    spec: { containers: [{ name: 'kuard', image: 'kuard', resources: request ? { requests: { cpu: request } } : {} }] },
    status: {
      phase: 'Running',
      startTime: new Date(T0 - 3600_000).toISOString(),
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(T0 - 3500_000).toISOString() }],
    },
  };
}

function setup(opts: { replicas: number; cpuMilli: number; request?: string | null; behavior?: autoscalingV2.HorizontalPodAutoscalerBehavior }) {
  const cluster = new Cluster();
  const events = new Events();
  let now = T0;
  let cpuMilli = opts.cpuMilli;
  cluster.scales.set('replicasets/kuard', { replicas: opts.replicas, selector: 'app=kuard' });
  const syncPods = () => {
    const n = cluster.scales.get('replicasets/kuard')!.replicas;
    cluster.pods = Array.from({ length: n }, (_, i) => kuardPod(i, opts.request === null ? undefined : (opts.request ?? '100m')));
  };
  syncPods();
  cluster.hpas.set('default/kuard', {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'kuard', namespace: 'default', uid: 'hpa-uid', generation: 1 },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'kuard' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }],
      ...(opts.behavior ? { behavior: opts.behavior } : {}),
    },
  });
  const provider = {
    podUsage: (): PodUsage[] =>
      cluster.pods.map((p) => ({
        namespace: 'default',
        name: p.metadata!.name!,
        labels: { app: 'kuard' },
        timestamp: new Date(now),
        windowMs: 15_000,
        containers: [{ name: 'kuard', cpuNanoCores: cpuMilli * 1e6, memoryBytes: 1 << 20 }],
      })),
    nodeUsage: () => [],
  };
  const controller = new HorizontalController(cluster, events, providerMetricsClient(provider, () => now), { downscaleStabilizationMs: 60_000, log: () => {} }, () => now);
  return {
    cluster,
    events,
    controller,
    hpa: () => cluster.hpas.get('default/kuard')!,
    replicas: () => cluster.scales.get('replicasets/kuard')!.replicas,
    advance(ms: number) {
      now += ms;
    },
    setCpu(m: number) {
      cpuMilli = m;
    },
    async sync() {
      await controller.syncAll();
      syncPods();
    },
  };
}

function condition(hpa: HPA, type: string) {
  const c = hpa.status?.conditions?.find((x) => x.type === type);
  return c && [c.status, c.reason, c.message];
}

describe('HorizontalController', () => {
  test('high cpu scales up to max (2 → 4 by the max(2×, 4) rate, then 5), with status, conditions and events', async () => {
    const s = setup({ replicas: 2, cpuMilli: 190 });
    await s.sync();
    assert.equal(s.replicas(), 4);
    let hpa = s.hpa();
    assert.equal(hpa.status?.currentReplicas, 2);
    assert.equal(hpa.status?.desiredReplicas, 4);
    assert.equal(hpa.status?.observedGeneration, 1);
    assert.equal(hpa.status?.lastScaleTime, '2025-01-01T12:00:00Z');
    assert.deepEqual(hpa.status?.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 190, averageValue: '190m' } } }]);
    assert.deepEqual(condition(hpa, 'AbleToScale'), ['True', 'SucceededRescale', 'the HPA controller was able to update the target scale to 4']);
    assert.deepEqual(condition(hpa, 'ScalingActive'), ['True', 'ValidMetricFound', 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)']);
    assert.deepEqual(condition(hpa, 'ScalingLimited'), ['True', 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']);
    assert.deepEqual(s.events.seen, [{ type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target' }]);

    // Next sync: 4 pods at 190% want 10 → capped at max 5.
    s.advance(15_000);
    await s.sync();
    assert.equal(s.replicas(), 5);
    hpa = s.hpa();
    assert.deepEqual([hpa.status?.currentReplicas, hpa.status?.desiredReplicas], [4, 5]);
    assert.deepEqual(condition(hpa, 'ScalingLimited'), ['True', 'TooManyReplicas', 'the desired replica count is more than the maximum replica count']);
    assert.deepEqual(s.events.seen.at(-1), { type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 5; reason: cpu resource utilization (percentage of request) above target' });
  });

  test('low cpu scales down to min only after the downscale stabilization window', async () => {
    const s = setup({ replicas: 5, cpuMilli: 10 });
    await s.sync();
    assert.equal(s.replicas(), 5, 'the initial recommendation (current size) holds the window');
    assert.deepEqual(condition(s.hpa(), 'AbleToScale'), ['True', 'ScaleDownStabilized', 'recent recommendations were higher than current one, applying the highest recent recommendation']);
    s.advance(61_000);
    await s.sync();
    assert.equal(s.replicas(), 2);
    assert.deepEqual(condition(s.hpa(), 'ScalingLimited'), ['True', 'TooFewReplicas', 'the desired replica count is less than the minimum replica count']);
    assert.deepEqual(s.events.seen.at(-1), { type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 2; reason: All metrics below target' });
  });

  test('within tolerance nothing changes and the status is not rewritten', async () => {
    const s = setup({ replicas: 3, cpuMilli: 84 });
    await s.sync();
    assert.equal(s.replicas(), 3);
    assert.deepEqual(s.cluster.scaleWrites, []);
    const first = JSON.stringify(s.hpa().status);
    s.advance(15_000);
    await s.sync();
    assert.equal(JSON.stringify(s.hpa().status), first);
  });

  test('an HPA deleted and recreated under the same name does not inherit the old one\'s memory', async () => {
    const s = setup({ replicas: 3, cpuMilli: 190 });
    await s.sync();
    assert.equal(s.replicas(), 5);
    // Recreated (new uid) after the target was scaled by hand: that was not a fight with this HPA.
    s.cluster.hpas.set('default/kuard', { ...s.hpa(), metadata: { ...s.hpa().metadata, uid: 'hpa-uid-2' }, status: undefined });
    s.cluster.scales.get('replicasets/kuard')!.replicas = 3;
    s.advance(15_000);
    await s.sync();
    assert.equal(s.replicas(), 5);
    assert.equal(s.events.seen.filter((e) => e.reason === 'ScaleOverridden').length, 0);
  });

  test('a manual scale is overridden at the next sync, with a ScaleOverridden event', async () => {
    const s = setup({ replicas: 3, cpuMilli: 190 });
    await s.sync();
    assert.equal(s.replicas(), 5);
    // `kubectl scale rs kuard --replicas=3`
    s.cluster.scales.get('replicasets/kuard')!.replicas = 3;
    s.advance(15_000);
    await s.sync();
    assert.equal(s.replicas(), 5);
    const overridden = s.events.seen.find((e) => e.reason === 'ScaleOverridden');
    assert.deepEqual(overridden, {
      type: 'Normal',
      reason: 'ScaleOverridden',
      message: 'ReplicaSet/kuard was scaled to 3 outside the autoscaler (it had set 5); the autoscaler manages its replicas and set them to 5',
    });
    // Scaled above max by hand: back to max.
    s.cluster.scales.get('replicasets/kuard')!.replicas = 10;
    s.advance(15_000);
    await s.sync();
    assert.equal(s.replicas(), 5);
    assert.deepEqual(s.events.seen.at(-1), { type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 5; reason: Current number of replicas above Spec.MaxReplicas' });
  });

  test('pods without requests: FailedGetResourceMetric and FailedComputeMetricsReplicas, nothing scaled', async () => {
    const s = setup({ replicas: 2, cpuMilli: 190, request: null });
    await s.sync();
    assert.equal(s.replicas(), 2);
    const inner = 'failed to get cpu utilization: missing request for cpu in container kuard of Pod kuard-0';
    assert.deepEqual(condition(s.hpa(), 'ScalingActive'), ['False', 'FailedGetResourceMetric', `the HPA was unable to compute the replica count: ${inner}`]);
    assert.deepEqual(s.events.seen, [
      { type: 'Warning', reason: 'FailedGetResourceMetric', message: inner },
      { type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: `invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: ${inner}` },
    ]);
    assert.equal(s.hpa().status?.currentReplicas, 2);
  });

  test('a missing target: FailedGetScale, and the others carry on', async () => {
    const s = setup({ replicas: 3, cpuMilli: 190 });
    s.cluster.hpas.set('default/broken', {
      metadata: { name: 'broken', namespace: 'default', generation: 1 },
      spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'nope' }, minReplicas: 1, maxReplicas: 3 },
    });
    s.cluster.hpas.set('default/weird', {
      metadata: { name: 'weird', namespace: 'default', generation: 1 },
      spec: { scaleTargetRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' }, minReplicas: 1, maxReplicas: 3 },
    });
    s.cluster.hpas.set('default/pod', {
      metadata: { name: 'pod', namespace: 'default', generation: 1 },
      spec: { scaleTargetRef: { apiVersion: 'v1', kind: 'Pod', name: 'x' }, minReplicas: 1, maxReplicas: 3 },
    });
    await s.sync();
    assert.equal(s.replicas(), 5, 'the good HPA still worked');
    // A served kind without a scale subresource: the server's 404, as in Kubernetes.
    assert.deepEqual(condition(s.cluster.hpas.get('default/pod')!, 'AbleToScale'), ['False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: the server could not find the requested resource`]);
    const broken = s.cluster.hpas.get('default/broken')!;
    assert.deepEqual(condition(broken, 'AbleToScale'), ['False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: replicasets.apps "nope" not found`]);
    const weird = s.cluster.hpas.get('default/weird')!;
    assert.deepEqual(condition(weird, 'AbleToScale'), ['False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: no matches for kind "ConfigMap" in group ""`]);
    assert.ok(s.events.seen.some((e) => e.type === 'Warning' && e.reason === 'FailedGetScale' && e.message === 'replicasets.apps "nope" not found'));
  });

  test('behavior: scale-up limited to 1 pod per minute', async () => {
    const s = setup({ replicas: 2, cpuMilli: 190, behavior: { scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } } });
    await s.sync();
    assert.equal(s.replicas(), 3);
    assert.deepEqual(condition(s.hpa(), 'ScalingLimited'), ['True', 'ScaleUpLimit', 'the desired replica count is increasing faster than the maximum scale rate']);
    s.advance(30_000);
    await s.sync();
    assert.equal(s.replicas(), 3);
    s.advance(31_000);
    await s.sync();
    assert.equal(s.replicas(), 4);
  });

  test('no metrics at all: FailedGetResourceMetric saying so', async () => {
    const s = setup({ replicas: 2, cpuMilli: 190 });
    s.cluster.pods = [];
    await s.controller.syncAll();
    const c = condition(s.hpa(), 'ScalingActive');
    assert.equal(c?.[1], 'FailedGetResourceMetric');
    assert.match(String(c?.[2]), /unable to get metrics for resource cpu: no metrics returned from resource metrics API/);
  });
});
