// The pod garbage collector on the full stack: a node deleted with kubectl takes its pods
// with it (after the quarantine), and the ReplicaSet recreates them on the nodes left;
// finished pods beyond the threshold go oldest first. The controller manager runs in this
// process with short PodGC periods; scheduler and simulated nodes run in `kujira up`.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { core } from '../../src/api/types.js';
import { PODS } from '../../src/client/index.js';
import { KujiraUp, eventually } from '../support/controllers-cluster.js';

describe('pod garbage collector', () => {
  let c: KujiraUp;
  before(async () => {
    c = await KujiraUp.start({ fullStack: { simulatedNodes: 3 }, manager: { podGC: { periodMs: 200, quarantineMs: 1_000, terminatedPodThreshold: 2 } } });
  });
  after(async () => {
    await c?.stop();
  });

  const pods = async (selector: string): Promise<core.Pod[]> => (await c.client.resource(PODS).list('default', { labelSelector: selector })).items;

  it('a deleted node loses its pods and the ReplicaSet replaces them on the other nodes', async () => {
    await c.apply(`
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: spread}
spec:
  replicas: 6
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec:
      containers: [{name: app, image: kujira-demo, resources: {requests: {cpu: 100m}}}]
`);
    const before = await eventually(async () => {
      const l = await pods('app=spread');
      return l.length === 6 && l.every((p) => p.status?.phase === 'Running') && l;
    }, '6 running pods', 30_000);
    const victims = before.filter((p) => p.spec?.nodeName === 'kujira-sim-3').map((p) => p.metadata!.name!);
    assert.ok(victims.length > 0, 'some pods run on kujira-sim-3');

    assert.match(await c.k(['delete', 'node', 'kujira-sim-3']), /node "kujira-sim-3" deleted/);
    const after = await eventually(async () => {
      const l = await pods('app=spread');
      const live = l.filter((p) => !p.metadata?.deletionTimestamp);
      return !l.some((p) => victims.includes(p.metadata!.name!)) && live.length === 6 && live.every((p) => p.spec?.nodeName && p.spec.nodeName !== 'kujira-sim-3' && p.status?.phase === 'Running') && l;
    }, 'victims gone and replaced elsewhere', 30_000);
    assert.equal(after.length, 6);
    const rs = await c.k(['get', 'rs', 'spread', '--no-headers']);
    assert.match(rs, /^spread\s+6\s+6\s+6\s/);
    await c.k(['delete', 'rs', 'spread']);
  });

  it('finished pods beyond --terminated-pod-gc-threshold go, oldest first', async () => {
    const done = (name: string) => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: {app: done}
  annotations: {sim.kujira.io/exit-after: 10ms, sim.kujira.io/exit-code: "0"}
spec:
  restartPolicy: Never
  containers: [{name: app, image: kujira-demo}]
`;
    for (const name of ['done-1', 'done-2', 'done-3', 'done-4']) {
      await c.apply(done(name));
      // Distinct creation timestamps (seconds) make "oldest" unambiguous.
      await eventually(async () => (await pods('app=done')).find((p) => p.metadata?.name === name)?.status?.phase === 'Succeeded', `${name} Succeeded`, 20_000);
      await new Promise((r) => setTimeout(r, 1_050));
    }
    const left = await eventually(async () => {
      const names = (await pods('app=done')).map((p) => p.metadata!.name!).sort();
      return names.length === 2 && names;
    }, 'two finished pods left', 20_000);
    assert.deepEqual(left, ['done-3', 'done-4']);
  });
});
