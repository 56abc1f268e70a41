// ReplicaSet and garbage-collection scenarios from the seed, through the real kubectl
// against a real `kujira up`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { apps, core } from '../../src/api/types.js';
import { PODS, REPLICASETS } from '../../src/client/index.js';
import { KujiraUp, eventually } from '../support/controllers-cluster.js';

const rsYaml = (name: string, replicas: number, app = name) => `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${app}}
  template:
    metadata:
      labels: {app: ${app}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
`;

async function podsOf(c: KujiraUp, selector: string): Promise<core.Pod[]> {
  return (await c.client.resource(PODS).list('default', { labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

describe('ReplicaSet controller', () => {
  let c: KujiraUp;
  before(async () => {
    c = await KujiraUp.start();
  });
  after(async () => {
    await c?.stop();
  });

  it('creates owned pods with generated names, scales with kubectl scale rs, and reports status', async () => {
    await c.apply(rsYaml('web', 3));
    const pods = await eventually(async () => {
      const p = await podsOf(c, 'app=web');
      return p.length === 3 && p;
    }, '3 pods');
    for (const p of pods) {
      assert.match(p.metadata!.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      const ref = p.metadata!.ownerReferences![0];
      assert.deepEqual({ kind: ref.kind, name: ref.name, controller: ref.controller, blockOwnerDeletion: ref.blockOwnerDeletion }, { kind: 'ReplicaSet', name: 'web', controller: true, blockOwnerDeletion: true });
    }
    await eventually(async () => {
      const out = await c.k(['get', 'rs', 'web', '--no-headers']);
      return /^web\s+3\s+3\s+3\s/.test(out);
    }, 'rs web 3/3/3');
    const rs = await c.client.resource(REPLICASETS).get('default', 'web');
    assert.deepEqual(
      { replicas: rs.status?.replicas, fully: rs.status?.fullyLabeledReplicas, ready: rs.status?.readyReplicas, available: rs.status?.availableReplicas, gen: rs.status?.observedGeneration },
      { replicas: 3, fully: 3, ready: 3, available: 3, gen: rs.metadata?.generation },
    );

    assert.match(await c.k(['scale', 'rs', 'web', '--replicas=5']), /replicaset.apps\/web scaled/);
    await eventually(async () => (await podsOf(c, 'app=web')).length === 5, '5 pods');
    await c.k(['scale', 'rs', 'web', '--replicas=2']);
    await eventually(async () => (await podsOf(c, 'app=web')).length === 2, '2 pods');
    const describe = await eventually(async () => {
      const out = await c.k(['describe', 'rs', 'web']);
      return /SuccessfulDelete\s+.*replicaset-controller\s+Deleted pod: web-/.test(out) && out;
    }, 'SuccessfulDelete event');
    assert.match(describe, /SuccessfulCreate\s+.*replicaset-controller\s+Created pod: web-/);
  });

  it('releases a relabelled pod (quarantine), replaces it, and leaves it running', async () => {
    await c.apply(rsYaml('q', 2));
    const pods = await eventually(async () => {
      const p = await podsOf(c, 'app=q');
      return p.length === 2 && p;
    }, '2 pods');
    const victim = pods[0].metadata!.name!;
    await c.k(['label', 'pod', victim, 'app=debug', '--overwrite']);
    await eventually(async () => (await podsOf(c, 'app=q')).length === 2 && !(await podsOf(c, 'app=q')).some((p) => p.metadata!.name === victim), 'replacement');
    const released = await eventually(async () => {
      const p = await c.client.resource(PODS).get('default', victim);
      return !(p.metadata?.ownerReferences ?? []).length && p;
    }, 'released pod');
    assert.equal(released.metadata?.deletionTimestamp, undefined);
    // Putting the label back makes it an orphan that matches again: the ReplicaSet adopts it and deletes one surplus pod.
    await c.k(['label', 'pod', victim, 'app=q', '--overwrite']);
    await eventually(async () => (await podsOf(c, 'app=q')).length === 2, 'back to 2');
    const all = await podsOf(c, 'app=q');
    assert.ok(all.every((p) => p.metadata?.ownerReferences?.[0]?.name === 'q'));
  });

  it('adopts a matching orphan pod instead of creating one', async () => {
    await c.apply(`
apiVersion: v1
kind: Pod
metadata:
  name: lonely
  labels: {app: adopt}
spec:
  containers:
  - name: nginx
    image: nginx:1.25
`);
    await c.apply(rsYaml('adopt', 2));
    await eventually(async () => (await podsOf(c, 'app=adopt')).length === 2, '2 pods');
    const lonely = await eventually(async () => {
      const p = await c.client.resource(PODS).get('default', 'lonely');
      return p.metadata?.ownerReferences?.[0]?.name === 'adopt' && p;
    }, 'adoption');
    assert.equal(lonely.metadata!.ownerReferences![0].controller, true);
  });
});

describe('Garbage collector', () => {
  let c: KujiraUp;
  before(async () => {
    c = await KujiraUp.start();
  });
  after(async () => {
    await c?.stop();
  });

  it('kubectl delete rs removes its pods (background); --cascade=orphan keeps them ownerless', async () => {
    await c.apply(rsYaml('bg', 3));
    await eventually(async () => (await podsOf(c, 'app=bg')).length === 3, '3 pods');
    await c.k(['delete', 'rs', 'bg']);
    await eventually(async () => (await c.client.resource(PODS).list('default', { labelSelector: 'app=bg' })).items.length === 0, 'pods gone');

    await c.apply(rsYaml('orph', 2));
    await eventually(async () => (await podsOf(c, 'app=orph')).length === 2, '2 pods');
    await c.k(['delete', 'rs', 'orph', '--cascade=orphan']);
    await eventually(async () => (await c.kubectl(['get', 'rs', 'orph'])).code !== 0, 'rs gone');
    const pods = await eventually(async () => {
      const p = await podsOf(c, 'app=orph');
      return p.length === 2 && p.every((x) => !(x.metadata?.ownerReferences ?? []).length) && p;
    }, 'orphaned pods');
    assert.equal(pods.length, 2);
  });

  it('--cascade=foreground deletes the pods before the ReplicaSet', async () => {
    await c.apply(rsYaml('fg', 2));
    await eventually(async () => (await podsOf(c, 'app=fg')).length === 2, '2 pods');
    const seen: string[] = [];
    const watch = c.client.resource(REPLICASETS).watch('default', { fieldSelector: 'metadata.name=fg' });
    const watching = (async () => {
      for await (const ev of watch) {
        const rs = ev.object as apps.ReplicaSet;
        seen.push(`${ev.type}:${rs.metadata?.finalizers?.join(',') ?? ''}:${(await c.client.resource(PODS).list('default', { labelSelector: 'app=fg' })).items.length}`);
        if (ev.type === 'DELETED') break;
      }
    })();
    await c.k(['delete', 'rs', 'fg', '--cascade=foreground']);
    await eventually(async () => seen.some((s) => s.startsWith('DELETED')), 'rs deleted', 20_000);
    watch.close();
    await watching;
    assert.ok(seen.some((s) => s.includes('foregroundDeletion')), `foreground finalizer seen: ${seen.join(' ')}`);
    assert.equal((await c.client.resource(PODS).list('default', { labelSelector: 'app=fg' })).items.length, 0);
  });

  it('kubectl delete deploy --cascade=foreground unwinds pods, then ReplicaSet, then Deployment', async () => {
    await c.apply(`
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chain
spec:
  replicas: 2
  selector:
    matchLabels: {app: chain}
  template:
    metadata:
      labels: {app: chain}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
`);
    await c.k(['rollout', 'status', 'deploy/chain', '--timeout=60s']);
    const order: string[] = [];
    const pods = c.client.resource(PODS);
    const rss = c.client.resource(REPLICASETS);
    // Read owners before dependents: once an owner is seen gone, its dependents read later must be gone too.
    const seen = async () => {
      const d = (await c.kubectl(['get', 'deploy', 'chain'])).code === 0 ? 1 : 0;
      const r = (await rss.list('default', { labelSelector: 'app=chain' })).items.length;
      const p = (await pods.list('default', { labelSelector: 'app=chain' })).items.length;
      const state = `pods=${p} rs=${r} deploy=${d}`;
      if (order[order.length - 1] !== state) order.push(state);
      return d === 0;
    };
    const r = await c.kubectl(['delete', 'deploy', 'chain', '--cascade=foreground', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    await eventually(seen, 'deployment gone', 30_000);
    // Whatever was observed, nothing outlived its dependents' owner in the wrong order.
    for (const state of order) {
      const [p, rsCount, d] = state.match(/\d+/g)!.map(Number);
      if (rsCount === 0) assert.equal(p, 0, `pods outlived their ReplicaSet: ${order.join(' → ')}`);
      if (d === 0) assert.equal(rsCount, 0, `ReplicaSet outlived its Deployment: ${order.join(' → ')}`);
    }
    assert.equal(order[order.length - 1], 'pods=0 rs=0 deploy=0');
  });
});
