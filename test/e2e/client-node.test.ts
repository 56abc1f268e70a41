// @kubernetes/client-node against `kujira up`: typed create/list, and an informer that keeps
// seeing add/update/delete across an API server restart.
import * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eventually, TestCluster } from '../support/cluster.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const pod = (name: string): k8s.V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'informed' } },
  spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
});

describe('@kubernetes/client-node', () => {
  let cluster: TestCluster;
  let port: number;
  let kc: k8s.KubeConfig;
  before(async () => {
    port = await freePort();
    cluster = await TestCluster.start({ extraArgs: ['--port', String(port)] });
    kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
  });
  after(async () => {
    await cluster.dispose();
  });

  it('creates and lists pods and deployments', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const apps = kc.makeApiClient(k8s.AppsV1Api);
    const created = await core.createNamespacedPod({ namespace: 'default', body: pod('typed') });
    assert.equal(created.metadata?.name, 'typed');
    assert.ok(created.metadata?.uid);
    const list = await core.listNamespacedPod({ namespace: 'default' });
    assert.ok(list.items.some((p) => p.metadata?.name === 'typed'));
    await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'typed-deploy' },
        spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
      },
    });
    const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'typed-deploy' });
    assert.equal(d.spec?.replicas, 1);
    assert.equal(d.spec?.strategy?.rollingUpdate?.maxSurge, '25%');
    const nss = await core.listNamespace();
    assert.deepEqual(nss.items.map((n) => n.metadata?.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  });

  it('informer sees add, update and delete across an API server restart', async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, '/api/v1/namespaces/default/pods', () => core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=informed' }), 'app=informed');
    informer.on('add', (p) => seen.push(`add ${p.metadata?.name}`));
    informer.on('update', (p) => seen.push(`update ${p.metadata?.name} ${p.metadata?.labels?.step ?? ''}`));
    informer.on('delete', (p) => seen.push(`delete ${p.metadata?.name}`));
    let stopped = false;
    // The documented pattern: restart the informer after a connection error.
    informer.on('error', () => {
      if (!stopped) setTimeout(() => void informer.start().catch(() => {}), 100);
    });
    await informer.start();
    try {
      await core.createNamespacedPod({ namespace: 'default', body: pod('inf-a') });
      await eventually(() => seen.includes('add inf-a'), 'add before restart');

      assert.equal(await cluster.stop(), 0);
      cluster = await TestCluster.start({ dataDir: cluster.dataDir, ownsDir: true, extraArgs: ['--port', String(port)] });

      const cur = await core.readNamespacedPod({ namespace: 'default', name: 'inf-a' });
      cur.metadata!.labels = { ...cur.metadata!.labels, step: 'two' };
      await eventually(async () => {
        try {
          await core.replaceNamespacedPod({ namespace: 'default', name: 'inf-a', body: cur });
          return true;
        } catch {
          return false;
        }
      }, 'update after restart');
      await eventually(() => seen.includes('update inf-a two'), 'update seen after restart', 15_000);
      await core.createNamespacedPod({ namespace: 'default', body: pod('inf-b') });
      await core.deleteNamespacedPod({ namespace: 'default', name: 'inf-a' });
      await eventually(() => seen.includes('add inf-b') && seen.includes('delete inf-a'), 'add and delete after restart');
      assert.equal(seen.filter((s) => s === 'add inf-a').length, 1, seen.join(', '));
    } finally {
      stopped = true;
      await informer.stop();
    }
  });
});
