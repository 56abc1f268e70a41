// The ReplicaSet controller against the in-memory API, for paths the real server
// cannot be made to take: pod creation refused (ReplicaFailure, backoff) and
// availability that only changes with time (minReadySeconds, injected clock).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { apps, core } from '../../api/types.js';
import { EventRecorder, FakeClock, KubeClient, PODS, REPLICASETS, SharedInformerFactory, realClock, rfc3339, type Clock } from '../../client/index.js';
import { MemApi } from '../testing/memapi.js';
import { ReplicaSetController } from './controller.js';

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function replicaSet(name: string, replicas: number, extra: Partial<apps.ReplicaSetSpec> = {}, serviceAccountName?: string): apps.ReplicaSet {
  return {
    metadata: { name, namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { serviceAccountName, containers: [{ name: 'c', image: 'nginx' }] } },
      ...extra,
    },
  };
}

async function setup(api: MemApi, clock: Clock) {
  const url = await api.start();
  const client = new KubeClient({ server: url });
  const factory = new SharedInformerFactory(client, { clock });
  const recorder = new EventRecorder(client, { component: 'replicaset-controller' }, { clock });
  const ctl = new ReplicaSetController({ client, factory, recorder, clock });
  const running = ctl.start();
  factory.start();
  return {
    client,
    async stop() {
      await running.stop();
      await recorder.flush();
      await factory.stop();
      client.close();
      await api.stop();
    },
  };
}

test('a refused pod create sets ReplicaFailure with the API message, records FailedCreate, backs off, and clears when fixed', async () => {
  let refuse = true;
  const api = new MemApi({
    refuseCreate: (collection, obj) =>
      refuse && collection === 'v1/pods' && (obj.spec as core.PodSpec).serviceAccountName === 'missing'
        ? { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 403, reason: 'Forbidden', message: `pods "${obj.metadata.name}" is forbidden: error looking up service account default/missing: serviceaccount "missing" not found` }
        : undefined,
  });
  const env = await setup(api, realClock);
  try {
    await env.client.resource(REPLICASETS).create('default', replicaSet('sa', 2, {}, 'missing'));
    await until(() => api.list('apps/v1/replicasets').some((rs) => (rs.status as apps.ReplicaSetStatus | undefined)?.conditions?.some((c) => c.type === 'ReplicaFailure')), 'ReplicaFailure');
    const rs = api.list('apps/v1/replicasets')[0];
    const cond = (rs.status as apps.ReplicaSetStatus).conditions!.find((c) => c.type === 'ReplicaFailure')!;
    assert.equal(cond.status, 'True');
    assert.equal(cond.reason, 'FailedCreate');
    assert.match(cond.message!, /is forbidden: error looking up service account default\/missing/);
    await until(() => api.list('v1/events').some((e) => e.reason === 'FailedCreate'), 'FailedCreate event');
    const ev = api.list('v1/events').find((e) => e.reason === 'FailedCreate')!;
    assert.equal(ev.type, 'Warning');
    assert.match(String(ev.message), /^Error creating: pods ".*" is forbidden/);

    // Backoff, not a hot loop: over 300 ms the per-key backoff (5, 10, 20, … ms) allows only a handful of tries.
    const before = api.requests.filter((r) => r === 'POST v1/pods').length;
    await new Promise((r) => setTimeout(r, 300));
    const tries = api.requests.filter((r) => r === 'POST v1/pods').length - before;
    assert.ok(tries <= 8, `${tries} create attempts in 300 ms`);

    refuse = false;
    await until(() => api.list('v1/pods').length === 2, 'pods created once admission allows', 30_000);
    await until(() => !(api.list('apps/v1/replicasets')[0].status as apps.ReplicaSetStatus).conditions?.length, 'condition cleared', 30_000);
  } finally {
    await env.stop();
  }
});

test('availableReplicas waits minReadySeconds on the injected clock', async () => {
  const api = new MemApi();
  const clock = new FakeClock(Date.now());
  const env = await setup(api, clock);
  try {
    await env.client.resource(REPLICASETS).create('default', replicaSet('slow', 2, { minReadySeconds: 10 }));
    await until(() => api.list('v1/pods').length === 2, '2 pods');
    for (const p of api.list('v1/pods')) {
      const now = rfc3339(clock.now());
      await env.client.resource(PODS).patch('default', p.metadata.name, { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } }, 'merge', { subresource: 'status' });
    }
    const status = () => api.list('apps/v1/replicasets')[0].status as apps.ReplicaSetStatus;
    await until(() => status()?.readyReplicas === 2, 'ready 2');
    assert.equal(status().availableReplicas ?? 0, 0);
    clock.advance(9_000);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(status().availableReplicas ?? 0, 0, 'not before minReadySeconds');
    clock.advance(2_000);
    await until(() => status().availableReplicas === 2, 'available after minReadySeconds');
  } finally {
    await env.stop();
  }
});

test('a pod cache lagging behind our creates and deletes: expectations hold the controller back, so it never creates or deletes twice', async () => {
  // Every pod event reaches the controller 150 ms late; meanwhile its ReplicaSet keeps being requeued.
  const api = new MemApi({ watchLagMs: (collection) => (collection === 'v1/pods' ? 150 : 0) });
  const { client, stop } = await setup(api, realClock);
  const rsClient = client.resource(REPLICASETS);
  const pods = () => api.list('v1/pods');
  const count = (method: string) => api.requests.filter((r) => r.startsWith(`${method} v1/pods`)).length;
  const nudge = async () => {
    // Status-only writes by "someone else" requeue the ReplicaSet while the pod events are in flight.
    for (let i = 0; i < 5; i++) {
      await rsClient.patch('default', 'lag', { metadata: { annotations: { nudge: String(Math.random()) } } }, 'merge');
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  try {
    await rsClient.create('default', replicaSet('lag', 5));
    await nudge();
    await until(() => pods().length === 5, '5 pods');
    await until(async () => (await rsClient.get('default', 'lag')).status?.replicas === 5, 'status 5');
    assert.equal(count('POST'), 5, 'five creates, not one more');
    await rsClient.patch('default', 'lag', { spec: { replicas: 2 } }, 'merge');
    await nudge();
    await until(() => pods().length === 2, '2 pods');
    await until(async () => (await rsClient.get('default', 'lag')).status?.replicas === 2, 'status 2');
    assert.equal(count('DELETE'), 3, 'three deletes, not one more');
    assert.equal(count('POST'), 5);
  } finally {
    await stop();
  }
});
