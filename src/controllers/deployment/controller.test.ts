// The Deployment controller (with the ReplicaSet controller and the test kubelet) against the
// in-memory API: paths hard to reach through kubectl — a pod-template-hash collision and
// the legacy server-side rollback annotation, and a ReplicaSet cache lagging behind the
// controller's own writes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { apps } from '../../api/types.js';
import { DEPLOYMENTS, Informer, KubeClient, REPLICASETS } from '../../client/index.js';
import { startControllerManager } from '../index.js';
import { startFakeKubelet } from '../testing/fakekubelet.js';
import { MemApi } from '../testing/memapi.js';
import { computeHash } from './util.js';

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function deployment(image: string): apps.Deployment {
  return {
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    },
  };
}

async function withCluster(fn: (api: MemApi, client: KubeClient) => Promise<void>): Promise<void> {
  const api = new MemApi();
  const client = new KubeClient({ server: await api.start() });
  const manager = startControllerManager({ client });
  const kubelet = startFakeKubelet(client, { delayMs: 0 });
  try {
    await fn(api, client);
  } finally {
    await kubelet.stop();
    await manager.stop();
    client.close();
    await api.stop();
  }
}

const dep = (api: MemApi) => api.list('apps/v1/deployments')[0] as unknown as apps.Deployment;
const complete = (api: MemApi, image: string) => () => {
  const d = dep(api);
  return d.spec!.template.spec!.containers[0].image === image && d.status?.updatedReplicas === 2 && d.status?.availableReplicas === 2 && d.status?.replicas === 2;
};

test('a ReplicaSet name taken by someone else bumps collisionCount and the hash', async () => {
  await withCluster(async (api, client) => {
    const d = deployment('nginx:1');
    const taken = `web-${computeHash(d.spec!.template)}`;
    await client.resource(REPLICASETS).create('default', {
      metadata: { name: taken, namespace: 'default', labels: { other: 'x' } },
      spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    await client.resource(DEPLOYMENTS).create('default', d);
    await until(complete(api, 'nginx:1'), 'rollout');
    assert.equal(dep(api).status?.collisionCount, 1);
    const hash = computeHash(d.spec!.template, 1);
    const rs = api.list('apps/v1/replicasets').find((x) => x.metadata.name === `web-${hash}`) as unknown as apps.ReplicaSet;
    assert.ok(rs, 'new ReplicaSet named from the bumped hash');
    assert.equal(rs.spec?.template?.metadata?.labels?.['pod-template-hash'], hash);
    assert.equal(rs.spec?.selector.matchLabels?.['pod-template-hash'], hash);
  });
});

test('the deprecated rollback annotation restores an old template, which becomes the newest revision', async () => {
  await withCluster(async (api, client) => {
    const deploys = client.resource(DEPLOYMENTS);
    await deploys.create('default', deployment('nginx:1'));
    await until(complete(api, 'nginx:1'), 'first rollout');
    await deploys.patch('default', 'web', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } }, 'merge');
    await until(complete(api, 'nginx:2'), 'second rollout');
    await deploys.patch('default', 'web', { metadata: { annotations: { 'deprecated.deployment.rollback.to': '1' } } }, 'merge');
    await until(complete(api, 'nginx:1'), 'rollback');
    assert.equal(dep(api).metadata?.annotations?.['deprecated.deployment.rollback.to'], undefined);
    await until(() => dep(api).metadata?.annotations?.['deployment.kubernetes.io/revision'] === '3', 'revision 3');
    const revisions = api
      .list('apps/v1/replicasets')
      .map((rs) => `${(rs.spec as apps.ReplicaSetSpec).template!.spec!.containers[0].image}@${rs.metadata.annotations?.['deployment.kubernetes.io/revision']}`)
      .sort();
    assert.deepEqual(revisions, ['nginx:1@3', 'nginx:2@2']);
    await until(() => api.list('v1/events').some((e) => e.reason === 'DeploymentRollback'), 'event');
    assert.equal(api.list('v1/events').find((e) => e.reason === 'DeploymentRollback')!.message, 'Rolled back deployment "web" to revision 1');
  });
});

test('a ReplicaSet cache lagging behind our own writes: the controller waits for it, never writes twice, never passes maxSurge', async () => {
  // The controllers' ReplicaSet watch delivers every event 150 ms late; the observer's does not.
  const api = new MemApi({ watchLagMs: (collection, agent) => (collection === 'apps/v1/replicasets' && agent === 'lagging-controllers' ? 150 : 0) });
  const server = await api.start();
  const client = new KubeClient({ server, userAgent: 'lagging-controllers' });
  const observer = new KubeClient({ server, userAgent: 'observer' });
  const manager = startControllerManager({ client });
  const kubelet = startFakeKubelet(observer, { delayMs: 0 });
  const rsWatch = new Informer<apps.ReplicaSet>(observer.resource(REPLICASETS), { namespace: 'default' });
  const seen: number[] = [];
  const record = () => seen.push(rsWatch.cache.list().reduce((n, rs) => n + (rs.spec?.replicas ?? 0), 0));
  rsWatch.addEventHandler({ onAdd: record, onUpdate: record, onDelete: record });
  const settled = (image: string) => () => {
    const d = dep(api);
    return d?.spec!.template.spec!.containers[0].image === image && d.status?.observedGeneration === d.metadata?.generation && d.status?.updatedReplicas === 10 && d.status?.availableReplicas === 10 && d.status?.replicas === 10;
  };
  try {
    rsWatch.start();
    const d = deployment('nginx:1');
    d.spec!.replicas = 10;
    d.spec!.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '20%', maxUnavailable: 0 } };
    await client.resource(DEPLOYMENTS).create('default', d);
    await until(settled('nginx:1'), 'first rollout', 20_000);
    await client.resource(DEPLOYMENTS).patch('default', 'web', { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx:2' }] } } } }, 'merge');
    await until(settled('nginx:2'), 'rolling update', 20_000);
    await until(() => api.list('apps/v1/replicasets').every((rs) => (rs.status as apps.ReplicaSetStatus | undefined)?.replicas === (rs.spec as apps.ReplicaSetSpec).replicas), 'old pods gone');
  } finally {
    await rsWatch.stop();
    await kubelet.stop();
    await manager.stop();
    client.close();
    observer.close();
    await api.stop();
  }
  assert.ok(Math.max(...seen) <= 12, `ReplicaSets wanted ${Math.max(...seen)} pods (10 + 20% surge = 12)`);
  // A write decided from the stale cache would be refused (a failed `test` op, a conflict).
  const ours = api.refusedWrites.filter((w) => / apps\/v1\/(deployments\/|replicasets\/[^/ ]+ )/.test(w));
  assert.deepEqual(ours, []);
});
