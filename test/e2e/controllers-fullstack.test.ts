// The seed's Deployment walkthrough on the whole of `kujira up --runtime simulated`:
// controller manager, scheduler and simulated nodes all in the product, driven by kubectl.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PODS } from '../../src/client/index.js';
import { KujiraUp, eventually } from '../support/controllers-cluster.js';

describe('Deployments on the full stack (scheduler + simulated nodes)', () => {
  let c: KujiraUp;
  before(async () => {
    // The components on a thread of their own, as in large clusters (the services e2e covers one thread).
    c = await KujiraUp.start({ fullStack: { simulatedNodes: 2, componentThread: true } });
  });
  after(async () => {
    await c?.stop();
  });

  it('rolls out, updates with change-cause, undoes to revision 3, and deletes with cascade', async () => {
    await c.apply(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels: {run: nginx}
spec:
  replicas: 2
  selector:
    matchLabels: {run: nginx}
  strategy:
    rollingUpdate: {maxSurge: 1, maxUnavailable: 1}
    type: RollingUpdate
  template:
    metadata:
      labels: {run: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx:1.7.12
`);
    assert.match(await c.k(['rollout', 'status', 'deploy/nginx', '--timeout=60s']), /successfully rolled out/);
    const pods = (await c.client.resource(PODS).list('default', { labelSelector: 'run=nginx' })).items;
    assert.ok(pods.every((p) => p.spec?.nodeName), 'pods are scheduled on simulated nodes');

    // The seed puts the change-cause on the template; kubectl rollout history shows it.
    await c.k(['patch', 'deploy', 'nginx', '-p', '{"spec":{"template":{"metadata":{"annotations":{"kubernetes.io/change-cause":"Update nginx to 1.9.10"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.9.10"}]}}}}']);
    await c.k(['rollout', 'status', 'deploy/nginx', '--timeout=60s']);
    assert.match(await c.k(['rollout', 'history', 'deploy/nginx']), /REVISION\s+CHANGE-CAUSE\s+1\s+<none>\s+2\s+Update nginx to 1.9.10/);
    const wide = await c.k(['get', 'replicasets', '-o', 'wide', '--no-headers']);
    assert.match(wide, /nginx-\S+\s+0\s+0\s+0\s+\S+\s+nginx\s+nginx:1.7.12\s+pod-template-hash=\S+,run=nginx/);
    assert.match(wide, /nginx-\S+\s+2\s+2\s+2\s+\S+\s+nginx\s+nginx:1.9.10\s+pod-template-hash=\S+,run=nginx/);

    await c.k(['rollout', 'undo', 'deploy/nginx']);
    await c.k(['rollout', 'status', 'deploy/nginx', '--timeout=60s']);
    assert.match(await c.k(['rollout', 'history', 'deploy/nginx']), /REVISION\s+CHANGE-CAUSE\s+2\s+Update nginx to 1.9.10\s+3\s+<none>/);

    await c.k(['delete', 'deploy', 'nginx']);
    await eventually(async () => (await c.client.resource(PODS).list('default', { labelSelector: 'run=nginx' })).items.length === 0, 'pods gone', 60_000);
    assert.match((await c.kubectl(['get', 'rs'])).stderr, /No resources found/);
  });

  it('a pod that never becomes ready makes the rollout exceed its progress deadline', async () => {
    await c.apply(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: stuck
spec:
  replicas: 2
  selector:
    matchLabels: {app: stuck}
  template:
    metadata:
      labels: {app: stuck}
    spec:
      containers:
      - name: c
        image: nginx:1.25
`);
    await c.k(['rollout', 'status', 'deploy/stuck', '--timeout=60s']);
    // The deadline drops to 3 s only with the change that never becomes ready: a loaded
    // machine may need longer than that to start the first pods.
    await c.k(['patch', 'deploy', 'stuck', '-p', '{"spec":{"progressDeadlineSeconds":3,"template":{"metadata":{"annotations":{"sim.kujira.io/never-ready":"true"}}}}}']);
    const r = await c.kubectl(['rollout', 'status', 'deploy/stuck', '--timeout=60s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /deployment "stuck" exceeded its progress deadline/);
    const describe = await c.k(['describe', 'deploy', 'stuck']);
    assert.match(describe, /Progressing\s+False\s+ProgressDeadlineExceeded/);
    assert.match(describe, /Available\s+True\s+MinimumReplicasAvailable/);
  });
});
